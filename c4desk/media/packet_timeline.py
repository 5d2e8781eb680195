"""Turning a live camera's packets into a timeline a muxer accepts and a wall clock can be laid on.

Live sources are untidy, and stream copy writes what they send, so three things are repaired here:

* Split access units. With the demo's gst-rtsp-server source FFmpeg's RTP depacketiser hands over each
  keyframe as two packets with the same PTS (x264's sliced threads put two slices in an IDR picture; the payloader
  repeats SPS/PPS before each). DESIGN.md calls this "one repeated PTS per GOP". Two packets with one DTS are
  refused by the MPEG-TS muxer, and they are one picture anyway: consecutive packets with the same PTS are joined
  into one. The parameter sets, SEI and delimiters the later part repeats are dropped from it: left between two
  slices of one picture they make a reader's parser cut the picture in two (two half-decoded frames). Packets
  with no timestamp at all (the very first one of an RTSP session) are prefixed to the next timed packet.
* Missing DTS (FFmpeg only knows it once the parser has seen enough): DTS = PTS, which is right for the
  B-frame-free streams cameras send; when both are present the demuxer's DTS is kept.
* Discontinuities: a timestamp that goes backwards, or jumps forward by far more than the wall clock moved
  (a camera reboot, an encoder reset, a looping server's seam), would make the file's timeline lie about
  wall time. The timeline is shifted there so that it carries on by the wall-clock time that passed.

``WallClockEstimate`` then maps the repaired timeline to UTC: offset = the smallest ``receipt time - timestamp``
seen over the last ``window_s`` seconds. The packets least delayed by the network and by FFmpeg's probing
(which delivers the first second or two in a burst) give the true offset; the window lets it follow a camera
clock that drifts against ours.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av

# A jump forward this much beyond the wall-clock time that passed between two packets is a discontinuity.
JUMP_TOLERANCE_S = 1.0


@dataclass
class TimedPacket:
    """A repaired packet: its timestamps are on the connection's monotonic timeline (ticks of ``time_base``)."""

    packet: av.Packet[Any]
    pts: int
    dts: int
    duration: int
    keyframe: bool
    received: float  # wall-clock seconds (time.time()) when the demuxer handed it over


class PacketTimeline:
    """Joins split access units and makes timestamps strictly increasing (see the module docstring).

    ``feed`` takes demuxed packets in order and returns those now ready (the last one is held back until the
    next packet shows whether it continues it); ``flush`` returns what is held at the end of the stream.
    """

    def __init__(self, time_base: Fraction, codec: str = "h264") -> None:
        self.time_base = time_base
        self._codec = codec
        self._prefix = b""
        self._prefix_key = False
        self._held: av.Packet[Any] | None = None
        self._held_received = 0.0
        self._shift = 0
        self._last_in: int | None = None
        self._last_out: int | None = None
        self._last_received = 0.0
        self._last_step = 1
        self.joined = 0  # packets joined into the one before (split access units)
        self.discontinuities = 0

    def feed(self, packet: av.Packet[Any], received: float) -> list[TimedPacket]:
        if packet.pts is None and packet.dts is None:
            if packet.size:
                self._prefix += bytes(packet)
                self._prefix_key = self._prefix_key or packet.is_keyframe
            return []
        if self._prefix:
            packet = _joined(self._prefix, packet, self._prefix_key or packet.is_keyframe, self._codec)
            self._prefix, self._prefix_key = b"", False
            self.joined += 1
        held = self._held
        if held is not None and packet.pts is not None and held.pts == packet.pts:
            self._held = _joined(bytes(held), packet, held.is_keyframe or packet.is_keyframe, self._codec)
            self.joined += 1
            return []
        held_received = self._held_received
        self._held, self._held_received = packet, received
        return [] if held is None else [self._retime(held, held_received)]

    def flush(self) -> list[TimedPacket]:
        held, self._held = self._held, None
        return [] if held is None else [self._retime(held, self._held_received)]

    def _retime(self, packet: av.Packet[Any], received: float) -> TimedPacket:
        raw_dts = packet.dts if packet.dts is not None else packet.pts
        raw_pts = packet.pts if packet.pts is not None else raw_dts
        assert raw_dts is not None and raw_pts is not None
        tb = float(self.time_base)
        if self._last_in is None or self._last_out is None:
            self._shift = -raw_dts  # every connection's timeline starts at 0
        else:
            step = raw_dts - self._last_in
            wall_ticks = max(0, round((received - self._last_received) / tb))
            if step <= 0 or step * tb > (received - self._last_received) + JUMP_TOLERANCE_S:
                # Carry on by the wall-clock time that passed (at least one frame step), not by the jump.
                self.discontinuities += 1
                self._shift = self._last_out + max(wall_ticks, self._last_step, 1) - raw_dts
            else:
                self._last_step = step
        dts = raw_dts + self._shift
        if self._last_out is not None and dts <= self._last_out:
            dts = self._last_out + 1
        pts = max(raw_pts + self._shift, dts)
        self._last_in, self._last_out, self._last_received = raw_dts, dts, received
        duration = packet.duration if packet.duration and packet.duration > 0 else self._last_step
        return TimedPacket(packet, pts, dts, int(duration), bool(packet.is_keyframe), received)


# NAL unit types that may not sit between the slices of one picture: H.264 SEI, SPS, PPS, access unit delimiter;
# HEVC VPS, SPS, PPS, delimiter, prefix SEI.
_NOT_MID_PICTURE = {"h264": frozenset({6, 7, 8, 9}), "hevc": frozenset({32, 33, 34, 35, 39})}


def nal_units(data: bytes) -> list[bytes]:
    """Annex B data split into NAL units, each with its start code. [] when ``data`` is not Annex B."""
    starts: list[int] = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i - 1 if i > 0 and data[i - 1] == 0 else i)  # a 4-byte start code keeps its zero
        i = data.find(b"\x00\x00\x01", i + 3)
    if not starts or starts[0] != 0:
        return []
    return [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]


def nal_type(unit: bytes, codec: str) -> int:
    header = unit[3] if unit[2] == 1 else unit[4]
    return (header >> 1) & 0x3F if codec == "hevc" else header & 0x1F


def continuation(data: bytes, codec: str) -> bytes:
    """The later part of a split picture without the units that would end the picture early (see above)."""
    drop = _NOT_MID_PICTURE.get(codec)
    units = nal_units(data) if drop else []
    if not units or drop is None:
        return data
    return b"".join(u for u in units if len(u) > 4 and nal_type(u, codec) not in drop)


def _joined(head: bytes, packet: av.Packet[Any], keyframe: bool, codec: str) -> av.Packet[Any]:
    joined = av.Packet(head + continuation(bytes(packet), codec))
    joined.pts, joined.dts, joined.duration = packet.pts, packet.dts, packet.duration
    joined.time_base = packet.time_base
    joined.is_keyframe = keyframe
    return joined


class WallClockEstimate:
    """UTC seconds of a timeline instant: ``offset + ticks * time_base``, offset from the least-delayed packets."""

    def __init__(self, time_base: Fraction, window_s: float = 30.0) -> None:
        self.time_base = time_base
        self.window_s = window_s
        # (bucket second, smallest offset seen in it), oldest first: a sliding minimum in O(1) per packet.
        self._buckets: deque[tuple[int, float]] = deque()

    def observe(self, ticks: int, received: float) -> None:
        value = received - ticks * float(self.time_base)
        bucket = math.floor(received)
        if self._buckets and self._buckets[-1][0] == bucket:
            if value < self._buckets[-1][1]:
                self._buckets[-1] = (bucket, value)
        else:
            self._buckets.append((bucket, value))
        while self._buckets and self._buckets[0][0] < bucket - self.window_s:
            self._buckets.popleft()

    @property
    def ready(self) -> bool:
        return bool(self._buckets)

    def offset(self) -> float:
        return min(v for _, v in self._buckets)

    def wall(self, ticks: int) -> float:
        return self.offset() + ticks * float(self.time_base)
