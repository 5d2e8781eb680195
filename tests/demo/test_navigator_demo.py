"""The issue's navigator test on the demo city: follow the scripted vehicle from its first camera; at every hop the
camera where it appears next is among the top 3 suggestions, and the top 1 once its plate's LPR reads are known.

The graph is built from the site alone (cameras and street GeoJSON), never from the script's route: the script
only says what really happened (when each camera has the vehicle in view, where it heads, what the readers read),
and is used here as the answer key.

"Where it appears next": hop targets (fixed and PTZ cameras) in the order the vehicle first enters their views.
At each hop the analyst is on camera C, the vehicle leaves C's view at C's last sighting with the heading it has
then, and that moment is ``at``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from c4desk.demo import city, script
from c4desk.domain.navigator import NeighbourGraph
from c4desk.domain.plates import LprRead

BASE = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)  # loop time 0


@pytest.fixture(scope="module")
def graph() -> NeighbourGraph:
    return NeighbourGraph.build(city.demo_cameras(), city.streets_geojson())


def follow_chain(graph: NeighbourGraph) -> list[script.Pass]:
    """The vehicle's passes through hop-target cameras, by first appearance (one per camera)."""
    chain: list[script.Pass] = []
    for p in script.passes():
        if graph.is_target(p.camera_id) and p.camera_id not in {c.camera_id for c in chain}:
            chain.append(p)
    return chain


def suspect_reads() -> list[LprRead]:
    """The reads the demo stores (scenario ``lpr_read`` events at their loop times), of the followed plate only,
    as a plate search would return them; the background traffic's plates are left out by that search."""
    reads = [LprRead(camera_id=str(e.payload["camera_id"]), plate_raw=str(e.payload["plate"]),
                     read_at=BASE + timedelta(seconds=e.t)) for e in script.events() if e.kind == "lpr_read"]
    assert len({r.plate_norm for r in reads}) > 1  # there is other traffic to leave out
    return [r for r in reads if r.plate_norm == script.SUSPECT_PLATE]


def ranks(graph: NeighbourGraph, *, heading: bool, plate: bool) -> list[tuple[str, str, int | None]]:
    """(camera, true next camera, its rank among the suggestions) at every hop."""
    chain = follow_chain(graph)
    reads = suspect_reads() if plate else []
    out = []
    for here, there in pairwise(chain):
        found = graph.neighbours(
            here.camera_id, heading_deg=script.vehicle_heading(here.t_out) if heading else None,
            plate_reads=reads, at=BASE + timedelta(seconds=here.t_out) if plate else None)
        order = [n.camera_id for n in found]
        out.append((here.camera_id, there.camera_id,
                    order.index(there.camera_id) + 1 if there.camera_id in order else None))
    return out


def test_the_chain_follows_the_whole_route(graph: NeighbourGraph) -> None:
    chain = [p.camera_id for p in follow_chain(graph)]
    assert chain[0] == "cam01"  # the first camera that sees the vehicle arrive
    assert len(chain) >= 7  # enough hops to mean something: every fixed and PTZ camera on the getaway route
    assert not any(graph.is_target(c) for c in ("lpr01", "lpr02", "lpr03", "prv01"))


def test_next_camera_in_top_3_given_the_heading(graph: NeighbourGraph) -> None:
    found = ranks(graph, heading=True, plate=False)
    assert all(rank is not None and rank <= 3 for _here, _there, rank in found), found
    # The heading alone already puts it first at every hop of this route.
    assert [rank for *_, rank in found] == [1] * len(found)


def test_next_camera_in_top_3_with_nothing_but_the_camera(graph: NeighbourGraph) -> None:
    found = ranks(graph, heading=False, plate=False)
    assert all(rank is not None and rank <= 3 for _here, _there, rank in found), found


def test_next_camera_first_once_the_plate_is_known(graph: NeighbourGraph) -> None:
    with_heading = ranks(graph, heading=True, plate=True)
    assert [rank for *_, rank in with_heading] == [1] * len(with_heading), with_heading
    plate_only = ranks(graph, heading=False, plate=True)
    assert [rank for *_, rank in plate_only] == [1] * len(plate_only), plate_only


def test_etas_match_when_the_vehicle_appears(graph: NeighbourGraph) -> None:
    """Where the plate gives a pace, the ETA at a camera not yet in view is when the vehicle shows up there."""
    passes = script.passes()
    checked = 0
    for here in follow_chain(graph):
        at = BASE + timedelta(seconds=here.t_out)
        for n in graph.neighbours(here.camera_id, heading_deg=script.vehicle_heading(here.t_out),
                                  plate_reads=suspect_reads(), at=at):
            seen = [p.t_in for p in passes if p.camera_id == n.camera_id and p.t_in > here.t_out]
            if n.score > 0.5 and n.travel_s > 0 and seen:
                assert n.eta is not None
                assert abs((n.eta - BASE).total_seconds() - seen[0]) < 2.0, (here.camera_id, n)
                checked += 1
    assert checked >= 6
