"""Production variants and A/B tests: weighted routing, targeting and weight updates."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ClientError
from hosting_helpers import client_error, create_model, deploy, seed_traffic, variant

ENDPOINT = "ab-endpoint"
BODY = "0.5,-1.0,0.25,2.0"


@pytest.fixture(scope="module")
def endpoint(hosting_session, model_data_url):
    create_model(hosting_session, "ab-model-a", model_data_url)
    create_model(hosting_session, "ab-model-b", model_data_url)
    deploy(
        hosting_session,
        ENDPOINT,
        [variant("VariantA", "ab-model-a", weight=3.0), variant("VariantB", "ab-model-b", 1.0)],
    )
    return ENDPOINT


def _split(runtime, count, **kwargs):
    counts = Counter()
    for _ in range(count):
        response = runtime.invoke_endpoint(
            EndpointName=ENDPOINT, ContentType="text/csv", Body=BODY, **kwargs
        )
        counts[response["InvokedProductionVariant"]] += 1
    return counts


def test_traffic_follows_weights(hosting_session, runtime, endpoint):
    seed_traffic(hosting_session, 7)

    counts = _split(runtime, 400)

    # Binomial(400, 0.75): mean 300, standard deviation 8.7; allow four deviations.
    assert set(counts) == {"VariantA", "VariantB"}
    assert 265 <= counts["VariantA"] <= 335


def test_fixed_seed_repeats_the_split(hosting_session, runtime, endpoint):
    seed_traffic(hosting_session, 11)
    first = _split(runtime, 40)
    seed_traffic(hosting_session, 11)
    second = _split(runtime, 40)

    assert first == second


def test_target_variant_overrides_weights(runtime, endpoint):
    counts = _split(runtime, 20, TargetVariant="VariantB")

    assert counts == Counter({"VariantB": 20})


def test_unknown_target_variant_is_rejected(runtime, endpoint):
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(
            EndpointName=ENDPOINT, ContentType="text/csv", Body=BODY, TargetVariant="VariantC"
        )

    assert client_error(excinfo) == (
        "ValidationError",
        f"Endpoint {ENDPOINT} does not have target variant VariantC: use one of "
        "VariantA, VariantB.",
    )


def test_weight_update_sets_desired_then_current(sm, runtime, endpoint):
    sm.update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT,
        DesiredWeightsAndCapacities=[
            {"VariantName": "VariantA", "DesiredWeight": 0.0},
            {"VariantName": "VariantB", "DesiredInstanceCount": 2},
        ],
    )
    during = sm.describe_endpoint(EndpointName=ENDPOINT)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT)
    after = sm.describe_endpoint(EndpointName=ENDPOINT)

    assert during["EndpointStatus"] == "Updating"
    a_during, b_during = during["ProductionVariants"]
    assert (a_during["CurrentWeight"], a_during["DesiredWeight"]) == (3.0, 0.0)
    assert (b_during["CurrentInstanceCount"], b_during["DesiredInstanceCount"]) == (1, 2)
    a_after, b_after = after["ProductionVariants"]
    assert (a_after["CurrentWeight"], a_after["DesiredWeight"]) == (0.0, 0.0)
    assert (b_after["CurrentWeight"], b_after["CurrentInstanceCount"]) == (1.0, 2)

    # A weight of 0 gets no untargeted traffic, but still answers when targeted.
    assert _split(runtime, 30) == Counter({"VariantB": 30})
    assert _split(runtime, 3, TargetVariant="VariantA") == Counter({"VariantA": 3})

    sm.update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT,
        DesiredWeightsAndCapacities=[{"VariantName": "VariantA", "DesiredWeight": 3.0}],
    )
    sm.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT)


def test_weight_update_errors(sm, endpoint):
    cases = [
        (
            [{"VariantName": "VariantZ", "DesiredWeight": 1.0}],
            f'The variant name(s) "VariantZ" is/are not present within endpoint configuration '
            f'"{ENDPOINT}-config".',
        ),
        (
            [
                {"VariantName": "VariantA", "DesiredWeight": 1.0},
                {"VariantName": "VariantA", "DesiredWeight": 2.0},
            ],
            'The variant name "VariantA" was non-unique within the request.',
        ),
    ]
    for desired, message in cases:
        with pytest.raises(ClientError) as excinfo:
            sm.update_endpoint_weights_and_capacities(
                EndpointName=ENDPOINT, DesiredWeightsAndCapacities=desired
            )
        assert client_error(excinfo) == ("ValidationException", message)
    assert sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] == "InService"


def test_weight_update_while_updating_is_rejected(sm, endpoint):
    desired = [{"VariantName": "VariantB", "DesiredWeight": 1.0}]
    sm.update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT, DesiredWeightsAndCapacities=desired
    )

    with pytest.raises(ClientError) as excinfo:
        sm.update_endpoint_weights_and_capacities(
            EndpointName=ENDPOINT, DesiredWeightsAndCapacities=desired
        )

    assert client_error(excinfo) == (
        "ValidationException",
        "Cannot update in-progress endpoint "
        f'"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}".',
    )
    sm.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT)
