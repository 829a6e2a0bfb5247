"""Every kind of change a team makes reaches exactly the callers it should.

A release moves a `live` alias only when the function's `AWS::Lambda::Version` gets a new
logical ID: CloudFormation then publishes a version, the alias's `FunctionVersion` points
at it, and in prod that change of reference is what hands the release to CodeDeploy (the
alias carries `CodeDeployLambdaAliasUpdate`). So each change below is synthesized beside
an unchanged copy of the same stage, and the two templates are compared: what must move
moves, and nothing else does.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest

pytestmark = pytest.mark.synth

# The function whose configuration the "configuration" change touches.
RECONFIGURED = "get_order"
API_FUNCTIONS = {"post_orders", "get_order"}  # the others are TracingChoice.scheduled's


@pytest.fixture(scope="module")
def prod_templates(synthesized, tmp_path_factory) -> dict[str, dict[str, Any]]:
    """Prod's auction stack as it is, and once with each kind of change, in one app.

    Depends on `synthesized` so the layer is built and cached before it is copied.
    """
    import aws_cdk as cdk

    from auction_constructs import functions, packaging
    from pipeline_app import CDK_JSON
    from stages.auction_stage import AuctionStage
    from tests.conftest import TEST_AUCTION_CONTEXT

    work = tmp_path_factory.mktemp("propagation")
    compiler = packaging.lambda_bytecode_compiler()
    code = packaging.build_code_asset(work / "code", compiler=compiler)
    changed_code = _changed_copy(code, work / "code-changed", "domain/orders.py")
    layers = {
        requirements: packaging.build_layer_asset(requirements, compiler=compiler)
        for requirements in packaging.LAYER_REQUIREMENTS
    }

    def one_layer_changed(fixed: Path):
        """`build_layer_asset` with the layer built from `fixed` changed, the other as is."""
        changed = _changed_copy(
            layers[fixed], work / f"changed-{fixed.stem}", "python/attrs/__init__.py"
        )
        return lambda requirements, **_: changed if requirements == fixed else layers[requirements]

    prod = prod_settings()
    context = json.loads(CDK_JSON.read_text())["context"]  # the feature flags included
    app = cdk.App(context=context, outdir=str(work / "cdk.out"))
    timeouts = {**functions.TIMEOUTS, f"handlers.{RECONFIGURED}": cdk.Duration.seconds(11)}
    variants = {
        "unchanged": ({}, prod),
        "xray-sdk layer": (
            {"build_layer_asset": one_layer_changed(packaging.XRAY_SDK_REQUIREMENTS)},
            prod,
        ),
        "opentelemetry layer": (
            {"build_layer_asset": one_layer_changed(packaging.OPENTELEMETRY_REQUIREMENTS)},
            prod,
        ),
        "code": ({"build_code_asset": lambda **_: changed_code}, prod),
        "configuration": ({"TIMEOUTS": timeouts}, prod),
        "definition": ({}, attrs.evolve(prod, chunk_concurrency=prod.chunk_concurrency + 1)),
    }
    stages = {}
    for name, (patches, settings) in variants.items():
        with pytest.MonkeyPatch.context() as patch:
            # Every variant copies its code from `work`, never from the shared .build/.
            patch.setattr(functions, "build_code_asset", lambda **_: code)
            for attribute, value in patches.items():
                patch.setattr(functions, attribute, value)
            stages[name] = AuctionStage(
                app,
                name.title().replace(" ", ""),
                settings=settings,
                pipeline_account=TEST_AUCTION_CONTEXT["pipeline"]["account"],
            )
    app.synth()
    return {
        name: stage.synth().get_stack_by_name("energy-auction-prod").template
        for name, stage in stages.items()
    }


def prod_settings():
    """Prod's settings, with its scheduled functions traced by OpenTelemetry as dev's are
    (stages/settings.py): so that it carries both layers, and a change to each is seen."""
    from auction_constructs.auction_functions import TracingChoice
    from handlers.observability import TracingAdapter
    from stages.settings import load_stage_settings
    from tests.conftest import TEST_AUCTION_CONTEXT

    (prod,) = [s for s in load_stage_settings(TEST_AUCTION_CONTEXT) if s.name == "prod"]
    both = TracingChoice(api=TracingAdapter.XRAY_SDK, scheduled=TracingAdapter.OPENTELEMETRY)
    return attrs.evolve(prod, tracing=both)


def _changed_copy(source: Path, target: Path, file: str) -> Path:
    """A copy of a package folder with one of its files changed, as a fix would."""
    shutil.copytree(source, target)
    with (target / file).open("a") as changed:
        changed.write("\n# changed\n")
    return target


def live_versions(template: dict[str, Any]) -> dict[str, str]:
    """Each function's handler module -> the logical ID of the version its `live` alias serves."""
    resources = template["Resources"]
    found = {}
    for alias in resources.values():
        if alias["Type"] != "AWS::Lambda::Alias":
            continue
        (function_id,) = alias["Properties"]["FunctionName"].values()
        handler = resources[function_id]["Properties"]["Handler"]
        found[handler.removesuffix(".handler").removeprefix("handlers.")] = alias["Properties"][
            "FunctionVersion"
        ]["Fn::GetAtt"][0]
    return found


def definition(template: dict[str, Any]) -> str:
    (machine,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    return json.dumps(machine["Properties"]["DefinitionString"], sort_keys=True)


def moved(prod_templates, change: str) -> set[str]:
    before = live_versions(prod_templates["unchanged"])
    after = live_versions(prod_templates[change])
    assert before.keys() == after.keys()
    return {function for function in before if before[function] != after[function]}


def test_every_function_is_served_through_live_and_handed_to_codedeploy_in_prod(prod_templates):
    template = prod_templates["unchanged"]
    aliases = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Alias"]

    assert len(live_versions(template)) == 6
    assert all("CodeDeployLambdaAliasUpdate" in a["UpdatePolicy"] for a in aliases)


def test_turning_the_layer_flag_on_renames_every_function_so_each_publishes_once(prod_templates):
    # Without a change to each function, the renamed versions would be duplicates of the
    # published ones, which CloudFormation cannot create (the aws-lambda README).
    functions = [
        r["Properties"]
        for r in prod_templates["unchanged"]["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    ]
    # CodeDeploy's pre-traffic checks publish no version, and are renamed all the same.
    released = [f for f in functions if f["Handler"] != "handlers.pre_traffic_check.handler"]

    assert len(released) == 6
    assert all(re.search(r" version-hash:[0-9a-f]{32}$", f["Description"]) for f in functions)


@pytest.mark.parametrize("adapter", ["xray-sdk", "opentelemetry"])
def test_a_change_to_a_layer_alone_moves_every_function_that_carries_it(prod_templates, adapter):
    """A pin raised in one adapter's requirements reaches every function traced by it."""
    tracing = prod_settings().tracing
    everyone = set(live_versions(prod_templates["unchanged"]))
    carriers = {
        function
        for function in everyone
        if (tracing.api if function in API_FUNCTIONS else tracing.scheduled).value == adapter
    }

    assert carriers  # prod_settings uses both adapters, so each row checks something
    assert moved(prod_templates, f"{adapter} layer") == carriers
    assert definition(prod_templates[f"{adapter} layer"]) == definition(prod_templates["unchanged"])


def test_a_change_to_the_shared_code_moves_every_function(prod_templates):
    assert moved(prod_templates, "code") == set(live_versions(prod_templates["unchanged"]))


def test_one_functions_configuration_moves_that_function_only(prod_templates):
    assert moved(prod_templates, "configuration") == {RECONFIGURED}
    assert definition(prod_templates["configuration"]) == definition(prod_templates["unchanged"])


def test_a_change_to_the_workflow_moves_its_definition_and_no_function(prod_templates):
    assert moved(prod_templates, "definition") == set()
    assert definition(prod_templates["definition"]) != definition(prod_templates["unchanged"])


@pytest.fixture(scope="module")
def app_with_prod_changed(synthesized, tmp_path_factory):
    """The whole app again, with one setting changed in prod's cdk.json entry only."""
    from pipeline_app import build_app
    from tests.conftest import TEST_AUCTION_CONTEXT, SynthesizedApp

    context = copy.deepcopy(TEST_AUCTION_CONTEXT)
    context["stages"]["prod"]["alert_email"] = "prod-oncall@example.com"
    outdir = tmp_path_factory.mktemp("prod-changed") / "cdk.out"
    build_app(auction_context=context, outdir=str(outdir)).synth()
    return SynthesizedApp(outdir)


def test_a_prod_only_setting_changes_prod_only(synthesized, app_with_prod_changed):
    before, after = _templates_by_stack(synthesized), _templates_by_stack(app_with_prod_changed)

    assert before.keys() == after.keys()
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"EnergyAuctionPipeline/Prod/Auction"}


def _templates_by_stack(app) -> dict[str, dict[str, Any]]:
    return {stack.name: stack.template() for stack in app.stacks()}
