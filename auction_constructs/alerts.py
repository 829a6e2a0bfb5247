"""The alerts topic: rejected or failed orders, failed runs and alarms reach people here."""

from __future__ import annotations

import attrs
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


@attrs.frozen
class SlackChannel:
    """A Slack channel AWS Chatbot posts to (the workspace is authorised once in the console)."""

    workspace_id: str
    channel_id: str


class AlertsTopic(Construct):
    """A KMS-encrypted, TLS-only SNS topic, with optional e-mail and Slack delivery.

    The topic's own key lets the AWS services in `publishing_services` (CloudWatch alarms,
    CodeStar Notifications) publish, which an AWS-managed SNS key would not.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        topic_name: str,
        email: str | None = None,
        slack: SlackChannel | None = None,
        publishing_services: tuple[str, ...] = ("cloudwatch.amazonaws.com",),
    ) -> None:
        super().__init__(scope, id_)
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description=f"Encrypts the {topic_name} SNS topic",
        )
        for service in publishing_services:
            self.key.grant(iam.ServicePrincipal(service), "kms:Decrypt", "kms:GenerateDataKey")
        self.topic = sns.Topic(
            self, "Topic", topic_name=topic_name, master_key=self.key, enforce_ssl=True
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        if slack:
            chatbot.SlackChannelConfiguration(
                self,
                "Slack",
                slack_channel_configuration_name=topic_name,
                slack_workspace_id=slack.workspace_id,
                slack_channel_id=slack.channel_id,
                notification_topics=[self.topic],
                guardrail_policies=[
                    iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess")
                ],
            )
