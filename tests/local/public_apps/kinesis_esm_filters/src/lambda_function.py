import base64


def handler(event, context):
    print("Event Received: ")
    print(event)
    for record in event["Records"]:
        print("Decoded payload: " + str(base64.b64decode(record["kinesis"]["data"])))
