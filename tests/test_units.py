"""The one byte-size formatter (logline.units): decimal for disk, binary for memory."""

from __future__ import annotations

import pytest

from logline.units import format_bytes, format_bytes_pair, format_rate

KiB, MiB, GiB = 2**10, 2**20, 2**30


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (2, "2 bytes"),
        (999, "999 bytes"),
        (999.6, "1 KB"),  # rounds up to 1,000 bytes: shown in the next unit
        (1000, "1 KB"),
        (1023, "1 KB"),
        (1024, "1 KB"),
        (1050, "1.1 KB"),
        (12_345, "12.3 KB"),
        (99_949, "99.9 KB"),
        (99_960, "100 KB"),
        (412_345, "412 KB"),
        (999_499, "999 KB"),
        (999_500, "1 MB"),  # not "1,000 KB"
        (1_000_000, "1 MB"),
        (18_300_000, "18.3 MB"),
        (700_000_000, "700 MB"),
        (999_999_999, "1 GB"),
        (1_000_000_000, "1 GB"),
        (2_150_000_000, "2.1 GB"),
        (40 * 10**9, "40 GB"),
        (39_700_000_000, "39.7 GB"),
        (123_456_789_012, "123 GB"),
        (10**12, "1 TB"),
        (1_500 * 10**12, "1,500 TB"),  # the largest unit grows past 1,000
    ],
)
def test_disk_sizes_are_decimal(n: float, text: str) -> None:
    assert format_bytes(n) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 bytes"),
        (1000, "1,000 bytes"),
        (1023, "1,023 bytes"),
        (KiB, "1 KB"),
        (1536, "1.5 KB"),
        (97 * MiB, "97 MB"),
        (513 * MiB, "513 MB"),
        (1023 * MiB, "1 GB"),  # 0.999 GiB reads as 1 GB, not "1,023 MB"
        (GiB, "1 GB"),
        (int(4.7 * GiB), "4.7 GB"),
        (8 * GiB, "8 GB"),
        (int(8 * GiB * 2 / 3), "5.3 GB"),
        (36 * GiB, "36 GB"),
        (2**40, "1 TB"),
    ],
)
def test_memory_sizes_are_binary(n: int, text: str) -> None:
    assert format_bytes(n, memory=True) == text


def test_a_negative_size_keeps_its_sign() -> None:
    assert format_bytes(-1500) == "-1.5 KB"
    assert format_bytes(-1) == "-1 byte"
    assert format_bytes(-3 * GiB, memory=True) == "-3 GB"


def test_rate_is_decimal_per_second() -> None:
    assert format_rate(18_300_000) == "18.3 MB/s"
    assert format_rate(0) == "0 bytes/s"
    assert format_rate(512) == "512 bytes/s"


@pytest.mark.parametrize(
    ("done", "total", "text"),
    [
        (0, 0, "0 / 0 bytes"),
        (5, 999, "5 / 999 bytes"),
        (0, 1000, "0.0 / 1.0 KB"),
        (2_000_000, 5_000_000, "2.0 / 5.0 MB"),
        (412_000_000, 2_150_000_000, "0.4 / 2.1 GB"),
        (1_200_000_000, 4_500_000_000, "1.2 / 4.5 GB"),
        (412_300_000, 999_999_999, "0.4 / 1.0 GB"),
        (97_000_000, 97_000_000, "97.0 / 97.0 MB"),
        (18_340_000, 412_000_000, "18 / 412 MB"),
    ],
)
def test_pair_uses_the_unit_of_the_total(done: int, total: int, text: str) -> None:
    assert format_bytes_pair(done, total) == text


def test_pair_keeps_its_width_while_counting() -> None:
    assert format_bytes_pair(1_000_000_000, 4_500_000_000) == "1.0 / 4.5 GB"
    assert format_bytes_pair(999_000_000, 4_500_000_000) == "1.0 / 4.5 GB"
    assert format_bytes_pair(150 * 10**9, 150 * 10**9) == "150 / 150 GB"
