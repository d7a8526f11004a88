"""EventBridge Pipe: SQS queue (batch of 1) → Step Functions state machine (fire and forget, input template)."""

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn


class PipesSqsToStepFunctionsStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(self, "sqs-queue")
        self.machine = sfn.StateMachine(self, "state-machine",
                                        definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(self, "start-state")))
        role = iam.Role(self, "pipe-role", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                                               resources=[self.queue.queue_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[self.machine.state_machine_arn]))
        pipe = pipes.CfnPipe(
            self, "pipe", role_arn=role.role_arn, source=self.queue.queue_arn, target=self.machine.state_machine_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                sqs_queue_parameters=pipes.CfnPipe.PipeSourceSqsQueueParametersProperty(batch_size=1)),
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                step_function_state_machine_parameters=pipes.CfnPipe.PipeTargetStateMachineParametersProperty(
                    invocation_type="FIRE_AND_FORGET"),
                input_template=json.dumps({"orderId": "<$.body.orderId>", "customerId": "<$.body.customerId>"})))
        cdk.CfnOutput(self, "QUEUE_URL", value=self.queue.queue_url)
        cdk.CfnOutput(self, "PIPE_ARN", value=pipe.attr_arn)
        cdk.CfnOutput(self, "STATE_MACHINE_ARN", value=self.machine.state_machine_arn)
