"""What every model asset needs: the registry's folders and the dbt manifest it was built on."""

import hashlib
from functools import cache
from pathlib import Path

import dagster as dg

from platform_assets.defs.transform.dbt_models import dbt_project
from platform_assets.lib.features.catalog import FeatureCatalog
from platform_assets.lib.ml.features import feature_table_roles


@cache
def manifest_checksum() -> str:
    """SHA-256 of the dbt manifest the feature table was built from (recorded per version)."""
    return hashlib.sha256(Path(dbt_project.manifest_path).read_bytes()).hexdigest()


@cache
def feature_roles() -> dict[str, str]:
    """Roles of the feature table's columns, from the prepared dbt manifest."""
    return feature_table_roles(Path(dbt_project.manifest_path))


def feature_catalog() -> FeatureCatalog:
    """The feature views declared in dbt, from the prepared dbt manifest."""
    return FeatureCatalog.from_manifest(Path(dbt_project.manifest_path))


def feature_view_keys() -> list[dg.AssetKey]:
    """The asset keys of the feature views."""
    return [dg.AssetKey(view.table.split(".")) for view in feature_catalog().views.values()]
