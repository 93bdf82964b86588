"""Ring and mesh NoCs: routes by hand, timing over an idle path, shared links."""

import math

import simpy

from soc.config import NocConfig
from soc.hw import RoutedNoc
from soc.hw.noc import mesh_route, ring_route
from soc.kernel import Action, MemRequest, NullRecorder, elaborate

PERIOD = 1000  # 1 GHz
ROUTER = 2  # cycles per router


def test_xy_routing_goes_along_x_then_y():
    # 3 x 3 mesh, router 0 (0,0) to router 8 (2,2): 0 -> 1 -> 2 -> 5 -> 8
    assert mesh_route(0, 8, 3) == [(0, 1), (1, 2), (2, 5), (5, 8)]
    assert mesh_route(8, 0, 3) == [(8, 7), (7, 6), (6, 3), (3, 0)]
    assert mesh_route(4, 4, 3) == []


def test_ring_takes_the_shorter_way():
    assert ring_route(0, 1, 6) == [(0, 1)]
    assert ring_route(0, 5, 6) == [(0, 5)]  # one hop back, not five forward
    assert ring_route(0, 3, 6) == [(0, 1), (1, 2), (2, 3)]  # a tie: clockwise


class Counting(NullRecorder):
    def __init__(self):
        self.links = {}

    def activity(self, t, component, action, amount, master):
        if action == Action.NOC_LINK_BUSY_PS:
            self.links[master] = self.links.get(master, 0) + amount


class Sink:
    """A target that takes a fixed 5 ns."""

    def __init__(self, env):
        self.env = env

    def transact(self, req):
        yield self.env.timeout(5_000)


def mesh(env, rec, **placement):
    config = NocConfig(
        topology="mesh",
        routers=4,
        mesh_cols=2,
        freq_hz=10**9,
        link_width_bytes=32,
        router_latency_cycles=ROUTER,
        placement=placement,
    )
    return RoutedNoc(env, "noc", config, rec)


def test_write_across_the_mesh_by_hand():
    env, rec = simpy.Environment(), Counting()
    noc = mesh(env, rec, cpu=0, mem=3)
    port = noc.initiator("cpu")
    noc.target_port("mem", 0, 1 << 20).bind(Sink(env))
    elaborate([noc])
    done = {}

    def write():
        yield from port.transact(MemRequest(0, 256, True, "cpu"))
        done["t"] = env.now

    env.process(write())
    env.run()
    hops = 2  # router 0 -> 1 -> 3
    serialise = math.ceil(256 / 32) * PERIOD
    latency = ROUTER * (hops + 1) * PERIOD
    assert done["t"] == serialise + latency + 5_000 + latency
    # the injection link, both router links and the ejection link were busy 8 cycles
    assert rec.links == {
        "cpu.up": serialise,
        "mem.down": serialise,
        "r0->r1": serialise,
        "r1->r3": serialise,
    }


def test_two_flows_sharing_a_router_link_serialise():
    env, rec = simpy.Environment(), Counting()
    noc = mesh(env, rec, a=0, b=0, x=1, y=3)
    ports = {name: noc.initiator(name) for name in ("a", "b")}
    noc.target_port("x", 0, 1 << 20).bind(Sink(env))
    noc.target_port("y", 1 << 20, 1 << 20).bind(Sink(env))
    elaborate([noc])
    done = {}

    def write(name, addr):
        yield from ports[name].transact(MemRequest(addr, 256, True, name))
        done[name] = env.now

    env.process(write("a", 0))  # router 0 -> 1
    env.process(write("b", 1 << 20))  # router 0 -> 1 -> 3: shares r0->r1
    env.run()
    serialise = 8 * PERIOD
    first = serialise + ROUTER * 2 * PERIOD + 5_000 + ROUTER * 2 * PERIOD
    assert done["a"] == first
    # b waits for a's data on the shared link (and a's injection link at router 0
    # belongs to a, b has its own), then crosses one more router
    assert done["b"] == 2 * serialise + 2 * ROUTER * 3 * PERIOD + 5_000
