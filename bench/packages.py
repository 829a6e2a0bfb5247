"""Package size: the Lambda code asset and the dependency layer, zipped and unzipped."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from auction_constructs.packaging import build_code_asset, build_layer_asset
from bench.measure import Figure


def _sizes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder))
    return len(buffer.getvalue()), sum(p.stat().st_size for p in files)


def figures() -> list[Figure]:
    code_zipped, code_unzipped = _sizes(build_code_asset())
    layer_zipped, layer_unzipped = _sizes(build_layer_asset())
    return [
        Figure("package: code asset zipped", code_zipped / 1024, "KB", budget=100),
        Figure("package: code asset unzipped", code_unzipped / 1024, "KB"),
        Figure("package: dependency layer zipped", layer_zipped / 1024, "KB", budget=2048),
        Figure("package: dependency layer unzipped", layer_unzipped / 1024, "KB"),
    ]
