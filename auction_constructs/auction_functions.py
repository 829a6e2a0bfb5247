"""The six functions of a stage, and what each may touch: nothing more.

post_orders    POST /orders            read and write orders (BatchGetItem, BatchWriteItem, PutItem)
get_order      GET /orders/{id}        read one order (GetItem)
fetch_results  Lambda A                query the open-orders index; write runs/*/chunks*
store_result   Lambda B                read runs/*/chunks/*; write orders/* and runs/*/outcomes/*;
                                       record outcomes (UpdateItem, GetItem)
summarize_run  Lambda C                read and list runs/*; write runs/*/report.json
synthetic_check  every 5 minutes       call POST /orders of its stage (execute-api:Invoke)

In prod, a pre-traffic check per API function invokes the version being released. Each
function is traced by the adapter its group's `TracingChoice` names: the API's two, or the
scheduled four (the pre-traffic checks with the scheduled ones).
"""

from __future__ import annotations

import attrs
from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from cdk_nag import NagSuppressions
from constructs import Construct

from auction_constructs.functions import AuctionFunction, FunctionCode
from auction_constructs.orders_table import OrdersTable
from auction_constructs.results_bucket import ResultsBucket
from domain.api_probes import ROUTES
from domain.runs import RUNS_PREFIX
from handlers.observability import TracingAdapter


@attrs.frozen
class TracingChoice:
    """Which adapter traces each group of functions (handlers/observability.py).

    A group's functions get its adapter's layer and `TRACING_ADAPTER`, and nothing else
    changes: Lambda's X-Ray daemon takes both adapters' datagrams, with the same grants.
    """

    # post_orders and get_order: the API's clients wait on their cold starts.
    api: TracingAdapter = attrs.field(converter=TracingAdapter)
    # Lambda A, B, C (hourly, in the workflow) and the synthetic check (every 5 minutes):
    # nobody waits on their cold starts.
    scheduled: TracingAdapter = attrs.field(converter=TracingAdapter)


class AuctionFunctions(Construct):
    """Every function of the stage, each with its own role holding only its grants."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        orders: OrdersTable,
        results: ResultsBucket,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        tracing: TracingChoice,
        metrics_namespace: str,
    ) -> None:
        """`metrics_namespace`: where every function writes its numbers (the stage's)."""
        super().__init__(scope, id_)
        self.synthetic_check: AuctionFunction | None = None
        self._tracing = tracing
        table = orders.table
        self._common = {
            "shared": FunctionCode(self, "Code"),
            "log_retention": log_retention,
            "removal_policy": removal_policy,
            "metrics_namespace": metrics_namespace,
        }
        environment = {"ORDERS_TABLE_NAME": table.table_name}
        buckets = {
            "RESULTS_BUCKET_NAME": results.bucket.bucket_name,
            "RUNS_BUCKET_NAME": results.runs.bucket_name,
        }

        self.post_orders = self._function(
            "PostOrders",
            "handlers.post_orders",
            "POST /orders: validate an order batch and store it for 24 h",
            environment,
            tracing.api,
            memory_size=1024,  # parsing 10,000 records is CPU-bound; memory buys CPU
        )
        # PutItem: a changed open order is replaced in a transaction, only while undecided.
        self._allow(self.post_orders, ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
                                       "dynamodb:PutItem"], [table.table_arn])  # fmt: skip
        self.get_order = self._function(
            "GetOrder", "handlers.get_order", "GET /orders/{record_id}: one order and its outcome",
            environment, tracing.api,
        )  # fmt: skip
        self._allow(self.get_order, ["dynamodb:GetItem"], [table.table_arn])

        self.fetch_results = self._function(
            "FetchResults",
            "handlers.fetch_results",
            "Lambda A: the auction's results for the open orders, or not ready yet",
            {**environment, **buckets, "OPEN_ORDERS_INDEX": orders.open_orders_index},
            tracing.scheduled,
            memory_size=1024,  # up to 100,000 open orders held at once
        )
        self._allow(self.fetch_results, ["dynamodb:Query"],
                    [f"{table.table_arn}/index/{orders.open_orders_index}"])  # fmt: skip
        chunks = [results.run_files_arn("*/chunks.json"), results.run_files_arn("*/chunks/*")]
        self._allow(self.fetch_results, ["s3:PutObject"], chunks)

        self.store_result = self._function(
            "StoreResult",
            "handlers.store_result",
            "Lambda B: store the accepted orders of a chunk, record every outcome",
            {**environment, **buckets},
            tracing.scheduled,
        )
        self._allow(self.store_result, ["s3:GetObject"], [results.run_files_arn("*/chunks/*")])
        written = [results.results_objects_arn(), results.run_files_arn("*/outcomes/*")]
        self._allow(self.store_result, ["s3:PutObject"], written)
        self._allow(
            self.store_result, ["dynamodb:UpdateItem", "dynamodb:GetItem"], [table.table_arn]
        )

        self.summarize_run = self._function(
            "SummarizeRun",
            "handlers.summarize_run",
            "Lambda C: a run's summary from its chunks' outcomes, and its one alert",
            buckets,
            tracing.scheduled,
        )
        self._allow(self.summarize_run, ["s3:GetObject"], [results.run_files_arn("*")])
        self._allow(self.summarize_run, ["s3:PutObject"], [results.run_files_arn("*/report.json")])
        self.summarize_run.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[results.runs.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{RUNS_PREFIX}*"]}},
            )
        )
        for function in (self.fetch_results, self.store_result, self.summarize_run):
            NagSuppressions.add_resource_suppressions(
                function.role,
                [
                    {
                        "id": "AwsSolutions-IAM5",
                        "reason": "A run's files and each accepted order's document get keys "
                        "named at run time (the run's id, the order's record_id), under "
                        "the prefixes this function reads or writes, and no other.",
                        "appliesTo": [
                            {"regex": "/^Resource::<.+\\.Arn>\\/(orders|runs)\\/.*\\*.*$/"}
                        ],
                    }
                ],
                apply_to_children=True,
            )

    def _function(
        self,
        id_: str,
        handler_module: str,
        description: str,
        environment: dict[str, str],
        tracing: TracingAdapter,
        memory_size: int = 256,
    ) -> AuctionFunction:
        return AuctionFunction(
            self,
            id_,
            handler_module=handler_module,
            description=description,
            environment=environment,
            tracing=tracing,
            memory_size=memory_size,
            **self._common,
        )

    def add_synthetic_check(self, post_route_arn: str) -> AuctionFunction:
        """The scheduled synthetic client (handlers/synthetic_check.py), allowed to call
        POST /orders of its stage and nothing else."""
        self.synthetic_check = self._function(
            "SyntheticCheck",
            "handlers.synthetic_check",
            "A synthetic client: a batch the API must refuse, expecting the documented 400",
            {},
            self._tracing.scheduled,
        )
        self._allow(self.synthetic_check, ["execute-api:Invoke"], [post_route_arn])
        # Scheduler invokes it asynchronously; a failed check is not tried again by Lambda
        # (twice by default): the next comes in minutes, and one failure is one error.
        self.synthetic_check.alias.configure_async_invoke(retry_attempts=0)
        return self.synthetic_check

    def add_pre_traffic_check(self, name: str) -> AuctionFunction:
        """CodeDeploy's pre-traffic hook for the API function `name`
        (handlers/pre_traffic_check.py), allowed to invoke the version being released and
        nothing else; the deployment group that takes it lets it report on that group."""
        version_arn = self.all[name].function.current_version.function_arn
        check = AuctionFunction(
            self,
            f"{name.title().replace('_', '')}PreTrafficCheck",
            handler_module="handlers.pre_traffic_check",
            description=f"Before {ROUTES[name]} takes traffic: its new version, called directly",
            environment={"CHECKED_VERSION_ARN": version_arn, "CHECKED_ROUTE": ROUTES[name]},
            tracing=self._tracing.scheduled,  # nobody waits on its cold start
            released=False,
            **self._common,
        )
        self._allow(check, ["lambda:InvokeFunction"], [version_arn])
        return check

    @staticmethod
    def _allow(function: AuctionFunction, actions: list[str], resources: list[str]) -> None:
        function.role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources))

    @property
    def all(self) -> dict[str, AuctionFunction]:
        """Each function by its handler's name."""
        return {
            "post_orders": self.post_orders,
            "get_order": self.get_order,
            "fetch_results": self.fetch_results,
            "store_result": self.store_result,
            "summarize_run": self.summarize_run,
            **({"synthetic_check": self.synthetic_check} if self.synthetic_check else {}),
        }
