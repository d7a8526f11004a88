const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns')

const sns = new SNSClient()

exports.handler = async () => {
  const result = await sns.send(new PublishCommand({
    Message: `Message at ${Date()}`,
    Subject: 'New message from publisher',
    PhoneNumber: process.env.phoneNumber,
    MessageAttributes: {
      'AWS.MM.SMS.OriginationNumber': { DataType: 'String', StringValue: process.env.tenDLC }
    }
  }))
  console.log(result)
}
