import os

import boto3


def lambda_handler(event, context):
    print("S3 Put Event Detected")
    record = event["Records"][0]["s3"]
    bucket, key = record["bucket"]["name"], record["object"]["key"]
    print(f"File uploaded to bucket {bucket} with key {key}")
    boto3.client("sns").publish(TopicArn=os.environ["TOPIC_ARN"], Subject="S3 Put Event",
                                Message=f"File uploaded to bucket {bucket} with key {key}")
