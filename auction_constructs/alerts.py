"""The alerts topic: rejected or failed orders, failed runs and alarms reach people here.

A topic policy replaces SNS's default one, so every AWS service that publishes here is
allowed by name in the topic policy and in the topic key's policy: nothing else may
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
"""

from __future__ import annotations

import re

import attrs
from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_codestarnotifications as notifications
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_ssm as ssm
from cdk_nag import NagSuppressions
from constructs import Construct

_PARAMETER_NAME = r"^[A-Za-z0-9_.\-/]+$"
# Successful deliveries logged, in percent (every failure is).
DELIVERY_SUCCESS_SAMPLE_PERCENT = 10


@attrs.frozen
class FromParameter:
    """A value kept in SSM Parameter Store, read by CloudFormation when the stack deploys.

    Keeps account-specific values (an e-mail, a Slack channel) out of git. A parameter
    that does not exist in the target account fails the resource that needs it, and the
    deployment rolls back.
    """

    name: str = attrs.field(validator=attrs.validators.matches_re(_PARAMETER_NAME))


Configured = str | FromParameter


@attrs.frozen
class SlackChannel:
    """A Slack channel AWS Chatbot posts to (the workspace is authorised once in the console)."""

    workspace_id: Configured
    channel_id: Configured


@attrs.frozen
class AlertTargets:
    """Who is told: an e-mail address, a Slack channel, both, or (dev only) nobody."""

    email: Configured | None = None
    slack: SlackChannel | None = None

    @property
    def anyone(self) -> bool:
        return self.email is not None or self.slack is not None


class _Topic(sns.Topic):
    """A topic that CodeStar Notifications may publish to only for this account.

    aws-cdk-lib's own binding grants the service on the topic and its key with no condition:
    any account's notification rule could then publish here (the confused deputy). AWS
    documents `aws:SourceAccount` on the topic policy
    (https://docs.aws.amazon.com/dtconsole/latest/userguide/troubleshooting.html, "I am
    not receiving Amazon SNS notifications") and `kms:ViaService` on the key
    (https://docs.aws.amazon.com/dtconsole/latest/userguide/set-up-sns.html, step 6). It
    documents no `aws:SourceArn` for this service: a condition on a key the service does
    not send would refuse every notification, silently. So `aws:SourceArn` is checked
    if present (a notification rule, or the pipeline it watches, of this account), and
    not asked of the key at all.
    """

    def bind_as_notification_rule_target(
        self, _scope: Construct
    ) -> notifications.NotificationRuleTargetConfig:
        stack = Stack.of(self)
        account = {"aws:SourceAccount": stack.account}
        sources = [
            stack.format_arn(
                service="codestar-notifications", resource="notificationrule", resource_name="*"
            ),
            stack.format_arn(service="codepipeline", resource="*"),
        ]
        principal = iam.ServicePrincipal("codestar-notifications.amazonaws.com")
        self.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisAccountsNotificationRulesToPublish",
                principals=[principal],
                actions=["sns:Publish"],
                resources=[self.topic_arn],
                conditions={
                    "StringEquals": account,
                    "ArnLikeIfExists": {"aws:SourceArn": sources},
                },
            )
        )
        assert self.master_key is not None
        self.master_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowNotificationRulesToEncryptThroughTheTopic",
                principals=[principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "StringEquals": {"kms:ViaService": f"sns.{stack.region}.amazonaws.com"},
                    "StringEqualsIfExists": account,
                },
            )
        )
        return notifications.NotificationRuleTargetConfig(
            target_type="SNS", target_address=self.topic_arn
        )


class AlertsTopic(Construct):
    """A KMS-encrypted, TLS-only SNS topic delivering to the configured targets."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        topic_name: str,
        targets: AlertTargets,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, id_)
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description=f"Encrypts the {topic_name} SNS topic",
            # Kept when the stack goes (what it encrypted may still be read), but not when
            # the create that made it rolls back.
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        self.topic = _Topic(
            self,
            "Topic",
            topic_name=topic_name,
            master_key=self.key,
            enforce_ssl=True,
            logging_configs=self._delivery_logging(topic_name, log_retention),
        )
        self.topic.node.add_dependency(*self._delivery_log_groups)
        if targets.email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(self._value(targets.email)))
        if targets.slack is not None:
            chatbot.SlackChannelConfiguration(
                self,
                "Slack",
                slack_channel_configuration_name=topic_name,
                slack_workspace_id=self._value(targets.slack.workspace_id),
                slack_channel_id=self._value(targets.slack.channel_id),
                notification_topics=[self.topic],
                guardrail_policies=[
                    iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess")
                ],
            )

    @property
    def policy(self) -> sns.TopicPolicy:
        """The topic policy: what checks that it may publish when set up must wait for it."""
        policy = self.topic.node.find_child("Policy")
        assert isinstance(policy, sns.TopicPolicy)
        return policy

    def _delivery_logging(
        self, topic_name: str, retention: logs.RetentionDays
    ) -> list[sns.LoggingConfig]:
        """Delivery status logs: whether each message reached Chatbot's HTTPS endpoint or a
        subscribed function, every failure and a sample of the successes.

        SNS writes them to `sns/<region>/<account>/<topic>` (and `.../Failure`) with a role
        that may do that only (https://docs.aws.amazon.com/sns/latest/dg/topics-attrib-prereq.html);
        the log groups are made here, so that they have a retention.
        """
        stack = Stack.of(self)
        group = f"sns/{stack.region}/{stack.account}/{topic_name}"
        names = {"Deliveries": group, "FailedDeliveries": f"{group}/Failure"}
        # Made before the topic, so that SNS never makes them first, without a retention.
        self._delivery_log_groups = [
            logs.LogGroup(self, id_, log_group_name=name, retention=retention,
                          removal_policy=RemovalPolicy.DESTROY)
            for id_, name in names.items()
        ]  # fmt: skip
        role = iam.Role(
            self,
            "DeliveryLogging",
            assumed_by=iam.ServicePrincipal("sns.amazonaws.com"),
            description=f"SNS logs the deliveries of {topic_name}",
        )
        # The actions SNS documents, on the two groups (CreateLogGroup names a group's ARN)
        # and their streams (`:*`); a group's GetAtt Arn would name only the streams.
        arns = [
            stack.format_arn(
                service="logs",
                resource="log-group",
                resource_name=f"{name}{streams}",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            for name in names.values()
            for streams in ("", ":*")
        ]
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                resources=arns,
            )
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "A log group's ARN ends in ':*', its log streams, which SNS "
                    "names itself: the topic's two delivery log groups only.",
                }
            ],
            apply_to_children=True,
        )
        return [
            sns.LoggingConfig(
                protocol=protocol,
                failure_feedback_role=role,
                success_feedback_role=role,
                success_feedback_sample_rate=DELIVERY_SUCCESS_SAMPLE_PERCENT,
            )
            for protocol in (sns.LoggingProtocol.HTTP, sns.LoggingProtocol.LAMBDA)
        ]

    def allow_alarms(self, alarm_name_prefix: str) -> None:
        """Let this account's CloudWatch alarms named `alarm_name_prefix...` publish here.

        The topic policy names the alarms (`aws:SourceArn`) and the account, so the
        service cannot publish here for anyone else's alarm (the confused deputy):
        https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger.
        The key lets CloudWatch encrypt what it publishes, in the unconditioned form AWS
        documents (https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns);
        the topic policy alone decides who may publish.
        """
        stack = Stack.of(self)
        alarms = stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name=f"{alarm_name_prefix}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        conditions = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": alarms},
        }
        principal = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsToPublish",
                principals=[principal],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=conditions,
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsToEncryptForTheTopic",
                principals=[principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )

    def _value(self, value: Configured) -> str:
        """A literal as it is; a parameter as a dynamic reference (`{{resolve:ssm:...}}`).

        Not a template parameter of type `AWS::SSM::Parameter::Value`, which CloudFormation
        resolves when the change set is made. Which identity it reads either as, AWS does
        not document: the shipped execution policy and the CDK bootstrap's deploy role may
        both read `/energy-auction/*` (docs/deploying.md, "Who reads them").
        """
        if not isinstance(value, FromParameter):
            return value
        parameter = ssm.StringParameter.from_string_parameter_attributes(
            self, "Parameter" + re.sub(r"\W", "", value.name), parameter_name=value.name,
            force_dynamic_reference=True,
        )  # fmt: skip
        return parameter.string_value
