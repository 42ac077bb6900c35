"""Annotations: ours (the run's or the image's /.solo5/annotations.json),
urunc's (annotations or /urunc.json), the sandbox."""

from __future__ import annotations

import base64
import json

import pytest

from solo5_oci.annotations import (
    Choices,
    check_image_annotations,
    choices,
    decode_image_annotations,
    decode_urunc_json,
)
from solo5_oci.errors import OciError


def test_none() -> None:
    assert choices({"io.podman.annotations.init": "FALSE"}) == Choices()


def test_ours() -> None:
    got = choices(
        {
            "org.solo5.tender": "spt",
            "org.solo5.net.service0": "eth1",
            "org.solo5.block.storage": "/data/disk.img",
            "org.solo5.net-args": "--ipv4={addr}/{prefix}",
            "org.solo5.busy-poll": "3000",
            "org.solo5.hugepages": "true",
        }
    )
    assert got.busy_poll == 3000 and got.hugepages
    assert got.tender == "spt" and got.tender_key == "org.solo5.tender"
    assert got.net == {"service0": "eth1"}
    assert got.block == {"storage": "/data/disk.img"}
    assert got.net_args == "--ipv4={addr}/{prefix}"


URUNC = {
    "com.urunc.unikernel.binary": "/unikernel/net.hvt",
    "com.urunc.unikernel.cmdline": "--ipv4=10.0.0.2/24",
    "com.urunc.unikernel.hypervisor": "hvt",
    "com.urunc.unikernel.unikernelType": "mirage",
    "com.urunc.unikernel.solo5NetDev": "service",
    "com.urunc.unikernel.solo5BlkDev": "storage",
    "com.urunc.unikernel.block": "/disk.img",
    "com.urunc.unikernel.useDMBlock": "false",
}


def test_urunc_annotations() -> None:
    got = choices(URUNC)
    assert got.binary == "/unikernel/net.hvt" and got.cmdline == "--ipv4=10.0.0.2/24"
    assert got.tender == "hvt" and got.tender_key == "com.urunc.unikernel.hypervisor"
    assert got.net == {"service": "eth0"} and got.block == {"storage": "/disk.img"}


def test_ours_win_over_urunc() -> None:
    got = choices({**URUNC, "org.solo5.tender": "spt", "org.solo5.net.service": "eth3"})
    assert got.tender == "spt" and got.net == {"service": "eth3"}


def urunc_json(values: dict[str, str]) -> str:
    return json.dumps({k: base64.b64encode(v.encode()).decode() for k, v in values.items()})


def test_urunc_json_when_no_annotations() -> None:
    decoded = decode_urunc_json(urunc_json(URUNC), "/urunc.json")
    assert decoded == URUNC
    assert choices({}, decoded).binary == "/unikernel/net.hvt"


def test_annotations_beat_urunc_json() -> None:
    other = {**URUNC, "com.urunc.unikernel.binary": "/other.hvt"}
    assert choices(URUNC, other).binary == "/unikernel/net.hvt"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "/urunc.json: not valid JSON"),
        ("[]", "/urunc.json: expected a JSON object"),
        ('{"a": 1}', "/urunc.json: a: expected a base64 string"),
        ('{"a": "!!"}', "/urunc.json: a: not base64-encoded UTF-8: '!!'"),
    ],
)
def test_bad_urunc_json(text: str, message: str) -> None:
    with pytest.raises(OciError, match="^" + message.replace("[", r"\[")):
        decode_urunc_json(text, "/urunc.json")


@pytest.mark.parametrize(
    ("annotations", "message"),
    [
        (
            {"org.solo5.tender": "qemu"},
            "annotation org.solo5.tender=qemu: not a Solo5 tender solo5-oci runs "
            "(one of: hvt, spt)",
        ),
        (
            {"com.urunc.unikernel.hypervisor": "firecracker", "com.urunc.unikernel.binary": "/x"},
            "annotation com.urunc.unikernel.hypervisor=firecracker: not a Solo5 tender",
        ),
        (
            {"org.solo5.net.bad-name": "eth0"},
            "annotation org.solo5.net.bad-name: 'bad-name' is not a Solo5 device name",
        ),
        (
            {"org.solo5.net.service0": "a/b"},
            "annotation org.solo5.net.service0='a/b': not a network interface name",
        ),
        (
            {"org.solo5.block.storage": "disk.img"},
            "annotation org.solo5.block.storage='disk.img': expected an absolute path",
        ),
        ({"org.solo5.tenderr": "spt"}, "annotation org.solo5.tenderr: unknown"),
        (
            {"org.solo5.busy-poll": "1000001"},
            "annotation org.solo5.busy-poll='1000001': expected microseconds, 0 to 1000000",
        ),
        (
            {"org.solo5.busy-poll": "-1"},
            "annotation org.solo5.busy-poll='-1': expected microseconds, 0 to 1000000",
        ),
        (
            {"org.solo5.busy-poll": "\u0663"},  # a digit, but not an ASCII one
            "annotation org.solo5.busy-poll='\u0663': expected microseconds",
        ),
        (
            {"org.solo5.hugepages": "yes"},
            "annotation org.solo5.hugepages='yes': expected true or false",
        ),
        (
            {
                "com.urunc.unikernel.block": "/d",
                "com.urunc.unikernel.binary": "/x",
                "com.urunc.unikernel.hypervisor": "hvt",
            },
            "annotation com.urunc.unikernel.block needs com.urunc.unikernel.solo5BlkDev",
        ),
    ],
)
def test_bad(annotations: dict[str, str], message: str) -> None:
    with pytest.raises(OciError) as error:
        choices(annotations)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    "key", ["io.kubernetes.cri.container-type", "io.kubernetes.cri-o.ContainerType"]
)
def test_sandbox(key: str) -> None:
    assert choices({key: "sandbox", "org.solo5.bogus": "x"}).sandbox
    assert not choices({key: "container"}).sandbox


IMAGE_FILE = "/.solo5/annotations.json in the rootfs"
MIRAGE = "--ipv4={addr}/{prefix} --ipv4-gateway={gateway}"


def test_image_file() -> None:
    text = json.dumps({"org.solo5.net-args": MIRAGE, "org.solo5.net.service": "eth1"})
    image = decode_image_annotations(text, IMAGE_FILE)
    got = choices({}, None, image)
    assert got.net_args == MIRAGE and got.net == {"service": "eth1"}


def test_run_beats_image_beats_urunc() -> None:
    image = {"org.solo5.tender": "spt", "org.solo5.net-args": MIRAGE}
    run = {"org.solo5.net-args": "limit={prefix}"}
    got = choices(run, URUNC, image)
    assert got.net_args == "limit={prefix}"  # the run's, key by key
    assert got.tender == "spt" and got.tender_key == "org.solo5.tender"  # the image's
    assert got.binary == "/unikernel/net.hvt"  # urunc's, where nothing else speaks
    assert choices({"org.solo5.tender": "hvt"}, None, image).tender == "hvt"


def test_sandbox_ignores_the_image() -> None:
    sandbox = {"io.kubernetes.cri.container-type": "sandbox"}
    assert choices(sandbox, None, {"org.solo5.tender": "spt"}) == Choices(sandbox=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('["org.solo5.tender"]', "expected a JSON object"),
        ('{"org.solo5.tender": 1}', "org.solo5.tender: expected a string"),
        (
            '{"com.urunc.unikernel.binary": "/x"}',
            "annotation com.urunc.unikernel.binary: an image carries org.solo5.* annotations only",
        ),
        ('{"org.solo5.tenderr": "spt"}', "annotation org.solo5.tenderr: unknown (solo5-oci"),
        ('{"org.solo5.tender": "kvm"}', "annotation org.solo5.tender=kvm: not a Solo5 tender"),
        ('{"org.solo5.block.storage": "disk.img"}', "expected an absolute path"),
    ],
)
def test_bad_image_file(text: str, message: str) -> None:
    with pytest.raises(OciError) as raised:
        decode_image_annotations(text, IMAGE_FILE)
    assert str(raised.value).startswith(f"{IMAGE_FILE}: "), raised.value
    assert message in str(raised.value)


def test_check_image_annotations() -> None:
    check_image_annotations({"org.solo5.net-args": MIRAGE, "org.solo5.block.disk": "/d.img"})
    with pytest.raises(OciError, match=r"^annotation org.solo5.net.service='eth 0': not a network"):
        check_image_annotations({"org.solo5.net.service": "eth 0"})
