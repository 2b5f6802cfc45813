"""The keyed feature views of flights read from Feast's online store as of their prediction time.

The online store holds each entity's latest row (what the daily `features/online_store` asset
materialized). The service serves a row at prediction time t only as the batch's point-in-time
retrieval would: known at t (its event timestamp not after t) and within its view's TTL at t.
Feast's own online reads measure TTLs against the wall clock, which is not t (a replayed day
is in 2013), so the check is made here from the event timestamps Feast returns. Anything else
is None, which the models' estimators treat as missing, as the batch's NULL: a key never seen,
a flight without a tail number (a NULL key has no row), a row too old, or a row newer than t
(the store no longer holds the one known at t).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from platform_assets.lib.features.catalog import FeatureView


def _value(proto_value):
    kind = proto_value.WhichOneof("val")
    return None if kind is None else getattr(proto_value, kind)


def keyed_features(
    store,
    view: FeatureView,
    features: Sequence[str],
    keys: Sequence[dict[str, object]],
    times: Sequence[datetime],
) -> list[dict[str, object]]:
    """`view`'s `features` (model input columns `view__feature`) for each flight's `keys` as of
    its prediction time in `times`."""
    from feast.protos.feast.serving.ServingService_pb2 import FieldStatus

    columns = [view.column(feature) for feature in features]
    empty = dict.fromkeys(columns)
    rows = [empty.copy() for _ in keys]
    asked = [i for i, k in enumerate(keys) if all(k.get(e) is not None for e in view.entities)]
    if not asked or not columns:
        return rows
    response = store.get_online_features(
        features=[f"{view.name}:{feature}" for feature in features],
        entity_rows=[{e: keys[i][e] for e in view.entities} for i in asked],
        full_feature_names=True,
    ).proto
    names = list(response.metadata.feature_names.val)
    for column in columns:
        result = response.results[names.index(column)]
        for position, i in enumerate(asked):
            if result.statuses[position] != FieldStatus.PRESENT:
                continue
            known_at = datetime.fromtimestamp(result.event_timestamps[position].seconds, UTC)
            fresh = not view.ttl or known_at >= times[i] - view.ttl
            if known_at <= times[i] and fresh:
                rows[i][column] = _value(result.values[position])
    return rows
