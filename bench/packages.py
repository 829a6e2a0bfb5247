"""Package size: the Lambda code asset and each dependency layer, zipped and unzipped.

Each layer is measured as sources and with bytecode (compiled by this machine's Python,
standing in for the functions' 3.14, as the pipeline's synthesis compiles them), against
the 2 MB zipped budget. Both adapters' packages in one layer are measured too: that is
what the two layers avoid.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from auction_constructs.functions import LAYERS
from auction_constructs.packaging import BytecodeCompiler, build_code_asset, build_layer_asset
from bench.measure import Figure

LAYER_BUDGET_KB = 2048


def _sizes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder))
    return len(buffer.getvalue()), sum(p.stat().st_size for p in files)


def _layer_figures(name: str, folder: Path) -> list[Figure]:
    zipped, unzipped = _sizes(folder)
    return [
        Figure(f"package: {name} zipped", zipped / 1024, "KB", budget=LAYER_BUDGET_KB),
        Figure(f"package: {name} unzipped", unzipped / 1024, "KB"),
    ]


def figures() -> list[Figure]:
    here = BytecodeCompiler(
        Path(sys.executable), f"{sys.version_info.major}.{sys.version_info.minor}"
    )
    code_zipped, code_unzipped = _sizes(build_code_asset())
    results = [
        Figure("package: code asset zipped", code_zipped / 1024, "KB", budget=100),
        Figure("package: code asset unzipped", code_unzipped / 1024, "KB"),
    ]
    with tempfile.TemporaryDirectory() as scratch:
        both = Path(scratch) / "both"
        for adapter, (_id, requirements, _description) in LAYERS.items():
            results += _layer_figures(f"{adapter} layer", build_layer_asset(requirements))
            compiled = build_layer_asset(requirements, build_dir=Path(scratch), compiler=here)
            results += _layer_figures(f"{adapter} layer with bytecode", compiled)
            shutil.copytree(compiled, both, dirs_exist_ok=True)
        results += _layer_figures("both adapters in one layer, with bytecode (not built)", both)
    return results
