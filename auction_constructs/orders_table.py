"""The orders table: one item per submitted record, gone 24 h later by TTL.

The sparse open-orders index holds only the orders the auction has not decided (those
with `open_shard`, see domain/lifecycle.py): finding a run's orders is a query whose cost
does not grow with decided or expired orders.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from domain.lifecycle import OPEN_ORDERS_INDEX
from domain.orders import OPEN_SHARD, POSTED_AT


class OrdersTable(Construct):
    """DynamoDB, keyed by `record_id`, on demand, point-in-time recovery, KMS-encrypted."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        removal_policy: RemovalPolicy,
        deletion_protection: bool,
    ) -> None:
        super().__init__(scope, id_)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="record_id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute="ttl",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
        )
        self.table.add_global_secondary_index(
            index_name=OPEN_ORDERS_INDEX,
            partition_key=dynamodb.Attribute(name=OPEN_SHARD, type=dynamodb.AttributeType.NUMBER),
            sort_key=dynamodb.Attribute(name=POSTED_AT, type=dynamodb.AttributeType.NUMBER),
            projection_type=dynamodb.ProjectionType.ALL,  # the auction is given each order
        )
        self.open_orders_index = OPEN_ORDERS_INDEX
