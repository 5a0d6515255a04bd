"""The OCI chart backend against a real registry on loopback: what a user sees per chart version.

Each test pushes real Helm-format charts to a repository of its own and resolves them through
`OciCharts` over plain HTTP, as `--plain-http-registry` configures it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fasit.backoff import Backoff
from fasit.charts import (
    ChartOutcome,
    Credential,
    OciCharts,
    OciSettings,
    OciWanted,
    RegistryClient,
    RegistryCredentials,
    RegistryError,
    RegistryFailure,
    RegistrySettings,
    TagChange,
)
from fasit.model import parse_oci_chart
from fasit.state import ProblemCode
from tests.integration.hostile_registry import HostileRegistry, helm_manifest
from tests.integration.oci_registry import (
    REGISTRY_PASSWORD,
    REGISTRY_USERNAME,
    BearerGateway,
    Chart,
    OciRegistry,
    StalledServer,
)
from tests.integration.waiting import eventually

# Codes a fixture cannot show (they need a registry); these tests prove them.
PROVEN_CODES = {
    ProblemCode.CHART_NOT_HELM,
    ProblemCode.CHART_DIGEST_MISMATCH,
    ProblemCode.REGISTRY_UNAVAILABLE,
    ProblemCode.REGISTRY_UNAUTHORIZED,
}


class Clock:
    """Monotonic time the test moves forward, for tag lifetimes and backoff."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_charts(
    *hosts: str,
    credentials: RegistryCredentials | None = None,
    clock: Clock | None = None,
    cache_dir: Path | None = None,
    read_timeout: float = 10.0,
) -> OciCharts:
    settings = RegistrySettings(
        credentials=credentials or RegistryCredentials(),
        plain_http=frozenset(hosts),
        read_timeout=read_timeout,
    )
    return OciCharts(
        RegistryClient(settings),
        OciSettings(
            cache_dir=cache_dir,
            retry=Backoff(initial=0.01, maximum=0.01),
            registry_backoff=Backoff(initial=5.0, maximum=5.0, jitter=0.0),
        ),
        clock=clock or time.monotonic,
    )


@pytest.fixture
def charts(oci_registry: OciRegistry) -> Iterator[OciCharts]:
    oci = make_charts(oci_registry.host)
    yield oci
    oci.close()


async def resolve_one(
    oci: OciCharts, registry: OciRegistry, name: str, version: str
) -> ChartOutcome:
    wanted = OciWanted(name, registry.url(f"charts/{name}"), version)
    return (await oci.resolve([wanted]))[name, version]


def unavailable(outcome: ChartOutcome) -> tuple[ProblemCode, str]:
    assert outcome.unavailable is not None, outcome
    return outcome.unavailable.code, outcome.unavailable.message


# --- resolving ---------------------------------------------------------------------------------


async def test_a_tag_resolves_to_its_manifest_digest_and_feature_yaml(
    oci_registry: OciRegistry, charts: OciCharts
) -> None:
    pushed = oci_registry.push_chart("charts/by-tag", Chart.helm("by-tag", "1.2.3"))

    outcome = await resolve_one(charts, oci_registry, "by-tag", "1.2.3")

    assert outcome.chart is not None
    assert outcome.chart.digest == pushed.manifest
    assert outcome.chart.location == oci_registry.url("charts/by-tag")
    assert outcome.chart.feature_yaml.environment_kinds == ["tenant"]
    assert outcome.chart.chart_yaml.version == "1.2.3"


async def test_a_version_with_build_metadata_is_found_under_helms_tag(
    oci_registry: OciRegistry, charts: OciCharts
) -> None:
    oci_registry.push_chart("charts/build-meta", Chart.helm("build-meta", "1.0.0+g1234"))

    outcome = await resolve_one(charts, oci_registry, "build-meta", "1.0.0+g1234")

    assert outcome.chart is not None


async def test_a_missing_tag_is_chart_missing_naming_the_tag(
    oci_registry: OciRegistry, charts: OciCharts
) -> None:
    oci_registry.push_chart("charts/no-tag", Chart.helm("no-tag", "1.0.0"))

    code, message = unavailable(await resolve_one(charts, oci_registry, "no-tag", "9.9.9"))

    assert code is ProblemCode.CHART_MISSING
    assert "tag 9.9.9 of charts/no-tag: not found (HTTP 404)" in message


async def test_a_corrupted_layer_is_rejected_by_its_digest(
    oci_registry: OciRegistry, charts: OciCharts
) -> None:
    pushed = oci_registry.push_chart("charts/corrupt", Chart.helm("corrupt", "1.0.0"))
    oci_registry.blob_path(pushed.layer).write_bytes(b"not the chart that was pushed")

    code, message = unavailable(await resolve_one(charts, oci_registry, "corrupt", "1.0.0"))

    assert code is ProblemCode.CHART_DIGEST_MISMATCH
    assert f"should have digest {pushed.layer}" in message


async def test_a_chart_without_feature_yaml_is_incomplete(
    oci_registry: OciRegistry, charts: OciCharts
) -> None:
    oci_registry.push_chart("charts/plain", Chart.helm("plain", "1.0.0", feature=None))

    code, message = unavailable(await resolve_one(charts, oci_registry, "plain", "1.0.0"))

    assert code is ProblemCode.CHART_INCOMPLETE
    assert message.endswith("the chart archive lacks plain/Feature.yaml")


async def test_an_artifact_that_is_not_a_helm_chart_is_refused_by_media_type(
    oci_registry: OciRegistry, charts: OciCharts
) -> None:
    image_config = "application/vnd.oci.image.config.v1+json"
    oci_registry.push_chart("charts/image", Chart.helm("image", "1.0.0"), config_type=image_config)

    code, message = unavailable(await resolve_one(charts, oci_registry, "image", "1.0.0"))

    assert code is ProblemCode.CHART_NOT_HELM
    assert f"is not a Helm chart: its config media type is '{image_config}'" in message


async def test_an_invalid_feature_yaml_is_reported_at_its_line_in_the_archive(
    oci_registry: OciRegistry, charts: OciCharts
) -> None:
    chart = Chart.helm("bad-feature", "1.0.0", feature="environmentKinds: [tenant]\nbogus: 1\n")
    oci_registry.push_chart("charts/bad-feature", chart)

    outcome = await resolve_one(charts, oci_registry, "bad-feature", "1.0.0")

    assert outcome.chart is None
    [problem] = outcome.problems
    assert problem.code is ProblemCode.FEATURE_YAML_INVALID
    assert (
        problem.file == f"{oci_registry.url('charts/bad-feature')}:1.0.0/bad-feature/Feature.yaml"
    )
    assert (problem.line, problem.column) == (2, 1)


# --- auth --------------------------------------------------------------------------------------


async def test_basic_auth_registry_resolves_with_the_right_credentials(
    basic_auth_registry: OciRegistry,
) -> None:
    basic_auth_registry.push_chart("charts/private", Chart.helm("private", "1.0.0"))
    login = {basic_auth_registry.host: Credential(REGISTRY_USERNAME, REGISTRY_PASSWORD)}
    oci = make_charts(basic_auth_registry.host, credentials=RegistryCredentials(login))

    outcome = await resolve_one(oci, basic_auth_registry, "private", "1.0.0")

    oci.close()
    assert outcome.chart is not None


async def test_wrong_credentials_are_registry_unauthorized(
    basic_auth_registry: OciRegistry,
) -> None:
    basic_auth_registry.push_chart("charts/guarded", Chart.helm("guarded", "1.0.0"))
    login = {basic_auth_registry.host: Credential(REGISTRY_USERNAME, "wrong")}
    oci = make_charts(basic_auth_registry.host, credentials=RegistryCredentials(login))

    code, message = unavailable(await resolve_one(oci, basic_auth_registry, "guarded", "1.0.0"))

    oci.close()
    assert code is ProblemCode.REGISTRY_UNAUTHORIZED
    assert "access denied (HTTP 401)" in message
    assert "wrong" not in message


async def test_no_credentials_for_a_basic_auth_registry_says_none_is_configured(
    basic_auth_registry: OciRegistry,
) -> None:
    oci = make_charts(basic_auth_registry.host)

    code, message = unavailable(await resolve_one(oci, basic_auth_registry, "guarded", "1.0.0"))

    oci.close()
    assert code is ProblemCode.REGISTRY_UNAUTHORIZED
    assert "asks for a username and password and none is configured" in message


# --- failure isolation and recovery ------------------------------------------------------------


async def test_a_stopped_registry_fails_only_what_it_has_never_resolved_and_recovers(
    own_registry: OciRegistry,
) -> None:
    own_registry.push_chart("charts/known", Chart.helm("known", "1.0.0"))
    own_registry.push_chart("charts/later", Chart.helm("later", "1.0.0"))
    clock = Clock()
    oci = make_charts(own_registry.host, clock=clock)
    known = OciWanted("known", own_registry.url("charts/known"), "1.0.0")
    later = OciWanted("later", own_registry.url("charts/later"), "1.0.0")
    assert (await oci.resolve([known]))["known", "1.0.0"].chart is not None

    own_registry.stop()
    clock.now += 3600  # every tag is due for a new lookup
    down = await oci.resolve([known, later])

    assert down["known", "1.0.0"].chart is not None  # its last known digest is kept
    code, message = unavailable(down["later", "1.0.0"])
    assert code is ProblemCode.REGISTRY_UNAVAILABLE
    assert "cannot be reached: Connection refused" in message

    own_registry.start()
    clock.now += 60  # past the registry's backoff
    back = await oci.resolve([known, later])
    oci.close()

    assert back["later", "1.0.0"].chart is not None


async def test_a_stalled_registry_times_out_once_and_spares_other_registries(
    oci_registry: OciRegistry,
) -> None:
    oci_registry.push_chart("charts/healthy", Chart.helm("healthy", "1.0.0"))
    with StalledServer() as stalled:
        oci = make_charts(stalled.host, oci_registry.host, read_timeout=0.3)
        wanted = [
            OciWanted(f"stuck{n}", f"oci://{stalled.host}/charts/stuck{n}", "1.0.0")
            for n in range(5)
        ]
        healthy = OciWanted("healthy", oci_registry.url("charts/healthy"), "1.0.0")
        started = time.monotonic()
        outcomes = await oci.resolve([*wanted, healthy])
        elapsed = time.monotonic() - started
        oci.close()

    assert outcomes["healthy", "1.0.0"].chart is not None
    for item in wanted:
        code, message = unavailable(outcomes[item.feature, "1.0.0"])
        assert code is ProblemCode.REGISTRY_UNAVAILABLE
        assert "no answer in time" in message or "not asked again" in message
    # Bounded: a few read timeouts of 0.3 s, not minutes of retries.
    assert elapsed < 30


async def test_a_re_pushed_tag_is_detected_with_both_digests(
    oci_registry: OciRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    first = oci_registry.push_chart("charts/moving", Chart.helm("moving", "1.0.0"))
    clock = Clock()
    oci = make_charts(oci_registry.host, clock=clock)
    before = await resolve_one(oci, oci_registry, "moving", "1.0.0")
    changed = Chart.helm("moving", "1.0.0")
    changed.files["values.yaml"] = "replicas: 2\n"
    second = oci_registry.push_chart("charts/moving", changed)

    clock.now += 3600
    with caplog.at_level(logging.WARNING, logger="fasit.charts"):
        changes = await oci.refresh()
    after = await resolve_one(oci, oci_registry, "moving", "1.0.0")
    oci.close()

    assert [(c.before, c.after) for c in changes] == [(first.manifest, second.manifest)]
    assert before.chart is not None
    assert after.chart is not None
    assert (before.chart.digest, after.chart.digest) == (first.manifest, second.manifest)
    assert f"now points at {second.manifest} (was {first.manifest})" in caplog.text


# --- caches ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet_of_charts(oci_registry: OciRegistry) -> list[OciWanted]:
    """200 features, each its own chart in the session registry."""
    wanted = []
    for n in range(200):
        name = f"fleet{n:03d}"
        oci_registry.push_chart(f"fleet/{name}", Chart.helm(name, "1.0.0"))
        wanted.append(OciWanted(name, oci_registry.url(f"fleet/{name}"), "1.0.0"))
    return wanted


async def test_with_a_warm_cache_resolving_200_features_asks_the_registry_nothing(
    oci_registry: OciRegistry, fleet_of_charts: list[OciWanted]
) -> None:
    oci = make_charts(oci_registry.host)
    cold = await oci.resolve(fleet_of_charts)
    asked = len(oci_registry.requests_from("fasit/"))

    warm = await oci.resolve(fleet_of_charts)
    oci.close()

    assert all(outcome.chart is not None for outcome in cold.values())
    assert warm == cold
    assert len(oci_registry.requests_from("fasit/")) == asked


async def test_a_new_process_with_the_disk_cache_only_looks_up_tags(
    oci_registry: OciRegistry, fleet_of_charts: list[OciWanted], tmp_path: Path
) -> None:
    first = make_charts(oci_registry.host, cache_dir=tmp_path / "cache")
    await first.resolve(fleet_of_charts[:20])
    first.close()
    asked = len(oci_registry.requests_from("fasit/"))

    second = make_charts(oci_registry.host, cache_dir=tmp_path / "cache")
    outcomes = await second.resolve(fleet_of_charts[:20])
    second.close()

    assert all(outcome.chart is not None for outcome in outcomes.values())
    new = oci_registry.requests_from("fasit/")[asked:]
    heads = [line for line in new if line.startswith("HEAD /v2/fleet/")]
    assert len(heads) == 20  # one tag lookup per chart: manifests and layers come from disk
    assert [line for line in new if line not in heads] == ["GET /v2/"]  # the auth challenge


async def test_tags_kept_fresh_in_the_background_report_a_move(
    oci_registry: OciRegistry,
) -> None:
    first = oci_registry.push_chart("charts/watched", Chart.helm("watched", "1.0.0"))
    oci = OciCharts(
        RegistryClient(RegistrySettings(plain_http=frozenset({oci_registry.host}))),
        OciSettings(tag_ttl=0.05),
    )
    await resolve_one(oci, oci_registry, "watched", "1.0.0")
    heard: list[TagChange] = []
    refresher = asyncio.create_task(oci.keep_fresh(heard.extend))
    moved = Chart.helm("watched", "1.0.0")
    moved.files["values.yaml"] = "replicas: 3\n"
    second = oci_registry.push_chart("charts/watched", moved)

    await eventually(lambda: bool(heard), "the background refresh to notice the move")
    refresher.cancel()
    oci.close()

    assert [(c.before, c.after) for c in heard] == [(first.manifest, second.manifest)]


@pytest.fixture
def bearer_gateway(oci_registry: OciRegistry) -> Iterator[BearerGateway]:
    with BearerGateway(oci_registry) as gateway:
        yield gateway


async def test_a_bearer_token_registry_resolves_through_the_token_flow(
    oci_registry: OciRegistry, bearer_gateway: BearerGateway
) -> None:
    pushed = oci_registry.push_chart("charts/tokened", Chart.helm("tokened", "1.0.0"))
    login = {bearer_gateway.host: Credential(REGISTRY_USERNAME, REGISTRY_PASSWORD)}
    oci = make_charts(bearer_gateway.host, credentials=RegistryCredentials(login))

    outcome = await resolve_tagged(oci, bearer_gateway.url("charts/tokened"), "tokened")

    oci.close()
    assert outcome.chart is not None
    assert outcome.chart.digest == pushed.manifest
    assert bearer_gateway.tokens  # one was asked for with the basic credentials


async def test_a_registry_token_from_the_config_is_sent_as_it_is(
    oci_registry: OciRegistry, bearer_gateway: BearerGateway
) -> None:
    oci_registry.push_chart("charts/pretokened", Chart.helm("pretokened", "1.0.0"))
    login = {bearer_gateway.host: Credential(token=bearer_gateway.issue())}
    oci = make_charts(bearer_gateway.host, credentials=RegistryCredentials(login))

    outcome = await resolve_tagged(oci, bearer_gateway.url("charts/pretokened"), "pretokened")

    oci.close()
    assert outcome.chart is not None


async def test_a_token_service_refusing_the_credentials_is_registry_unauthorized(
    bearer_gateway: BearerGateway,
) -> None:
    login = {bearer_gateway.host: Credential(REGISTRY_USERNAME, "wrong")}
    oci = make_charts(bearer_gateway.host, credentials=RegistryCredentials(login))

    outcome = await resolve_tagged(oci, bearer_gateway.url("charts/tokened"), "tokened")

    oci.close()
    code, message = unavailable(outcome)
    assert code is ProblemCode.REGISTRY_UNAUTHORIZED
    assert "access denied (its token service gave no token" in message


def test_an_expired_token_is_replaced_by_a_fresh_one_from_the_token_service(
    oci_registry: OciRegistry, bearer_gateway: BearerGateway
) -> None:
    pushed = oci_registry.push_chart("charts/expiring", Chart.helm("expiring", "1.0.0"))
    login = {bearer_gateway.host: Credential(REGISTRY_USERNAME, REGISTRY_PASSWORD)}
    settings = RegistrySettings(
        credentials=RegistryCredentials(login), plain_http=frozenset({bearer_gateway.host})
    )
    client = RegistryClient(settings)
    chart = parse_oci_chart(bearer_gateway.url("charts/expiring"))
    try:
        first = client.resolve_tag(chart, "1.0.0")
        bearer_gateway.tokens.clear()  # every token it gave has expired
        second = client.resolve_tag(chart, "1.0.0")
    finally:
        client.close()

    assert (first, second) == (pushed.manifest, pushed.manifest)
    assert bearer_gateway.tokens == {"token-1"}  # issued after the others expired


async def resolve_tagged(oci: OciCharts, url: str, name: str) -> ChartOutcome:
    return (await oci.resolve([OciWanted(name, url, "1.0.0")]))[name, "1.0.0"]


def _listed(registry: HostileRegistry) -> list[str]:
    client = RegistryClient(
        RegistrySettings(plain_http=frozenset({registry.host}), tag_page_size=2)
    )
    try:
        return client.list_tags(parse_oci_chart(registry.url("paged/chart")))
    finally:
        client.close()


def test_a_tag_listing_follows_the_registrys_pages() -> None:
    with HostileRegistry(helm_manifest()) as registry:
        registry.tags = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "3.0.0"]
        tags = _listed(registry)

        pages = [path for path in registry.paths if "/tags/list" in path]
    assert tags == ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "3.0.0"]
    assert pages[1] == "/v2/paged/chart/tags/list?n=2&last=1.1.0"
    assert len(pages) == 3


def test_a_tag_listing_that_never_ends_stops_after_ten_pages() -> None:
    with HostileRegistry(helm_manifest()) as registry:
        registry.endless = True
        tags = _listed(registry)

        pages = [path for path in registry.paths if "/tags/list" in path]
    assert len(pages) == 10
    assert len(tags) == 20


def _refused_listing(registry: HostileRegistry) -> str:
    with pytest.raises(RegistryError) as raised:
        _listed(registry)
    assert raised.value.failure is RegistryFailure.INVALID
    return str(raised.value)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        pytest.param(b'{"tags": ' + b"[" * 100_000, "is not JSON: nested too deeply", id="nested"),
        pytest.param(b'{"tags": 5}', "is not a list of tags", id="tags-not-a-list"),
        pytest.param(b'{"tags": "1.0.0"}', "is not a list of tags", id="tags-a-string"),
        pytest.param(b"[1, 2]", "is not a list of tags", id="not-an-object"),
    ],
)
def test_a_tag_list_that_is_no_list_of_tags_is_an_invalid_answer_naming_the_repository(
    body: bytes, why: str
) -> None:
    with HostileRegistry(helm_manifest()) as registry:
        registry.tag_body = body
        message = _refused_listing(registry)

    assert message.startswith(f"{registry.host}: the tag list of paged/chart {why}")


def test_a_tag_listing_that_links_back_to_a_page_it_gave_is_refused_after_that_page() -> None:
    with HostileRegistry(helm_manifest()) as registry:
        registry.tags = ["1.0.0", "1.1.0", "1.2.0"]
        registry.looping = True
        message = _refused_listing(registry)

        pages = [path for path in registry.paths if "/tags/list" in path]
    assert message == (
        f"{registry.host}: the tag list of paged/chart links back to a page it already gave"
        " (/v2/paged/chart/tags/list?n=2)"
    )
    assert len(pages) == 1


def test_a_tag_listing_that_links_to_another_host_is_refused_without_asking_it() -> None:
    with HostileRegistry(helm_manifest()) as registry:
        registry.tags = ["1.0.0", "1.1.0", "1.2.0"]
        registry.next_link = "http://127.0.0.2:9/v2/paged/chart/tags/list?n=2&last=1.1.0"
        message = _refused_listing(registry)

    assert message == (
        f"{registry.host}: the tag list of paged/chart links to another host"
        " (http://127.0.0.2:9); credentials for this registry are not sent there"
    )


async def test_a_missing_tag_whose_tag_list_is_nested_too_deeply_is_still_chart_missing() -> None:
    with HostileRegistry(helm_manifest()) as registry:
        registry.missing = True
        registry.tag_body = b"[" * 100_000
        oci = make_charts(registry.host)
        outcome = await resolve_tagged(oci, registry.url("deep/chart"), "deep")
        oci.close()

    code, message = unavailable(outcome)
    assert code is ProblemCode.CHART_MISSING
    assert message.endswith("tag 1.0.0 of deep/chart: not found (HTTP 404)")


async def test_a_chart_forgotten_for_room_in_the_caches_is_asked_of_the_registry_again(
    oci_registry: OciRegistry, fleet_of_charts: list[OciWanted]
) -> None:
    oci = OciCharts(
        RegistryClient(RegistrySettings(plain_http=frozenset({oci_registry.host}))),
        OciSettings(tag_cache_size=2, parsed_cache_size=2),
    )
    first, *others = fleet_of_charts[:3]
    await oci.resolve([first])
    await oci.resolve(others)  # two more charts: the first is the least recently used
    asked = len(oci_registry.requests_from("fasit/"))

    again = await oci.resolve([first])
    oci.close()

    assert again[first.feature, first.version].chart is not None
    new = oci_registry.requests_from("fasit/")[asked:]
    assert [line.split(" ")[0] for line in new] == ["HEAD", "GET", "GET"]  # tag, manifest, layer
