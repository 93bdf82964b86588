"""Banked DRAM presets: organisation and JEDEC timings (in DRAM clock cycles) of one
channel. Where each number comes from is stated per preset."""

from __future__ import annotations

# One LPDDR4(X) x32 channel: two x16 dies side by side, 8 banks, 4 KiB rows, BL16.
_LPDDR4_X32 = {
    "ranks": 1,
    "bankgroups": 1,
    "banks_per_group": 8,
    "rows": 65536,
    "row_bytes": 4096,
    "bus_bytes": 4,
    "burst_length": 16,
}

PRESETS: dict[str, dict] = {
    # DRAMsim3 configs/LPDDR4_8Gb_x16_2400.ini: four x16 devices on a 64-bit channel,
    # 2 ranks, 2 bank groups x 4 banks, 8 KiB rows, BL16 (validated against DRAMsim3).
    "LPDDR4-2400-x64": {},
    # DRAMsim3 configs/DDR4_8Gb_x16_3200.ini: 64-bit channel of x16 devices, 2 ranks
    # (8 GiB), 2 bank groups x 4 banks, 8 KiB rows, BL8, 16-entry transaction queue.
    # The address map interleaves bank groups below the column (DRAMsim3's file keeps
    # them above it): with BL8 a burst takes 4 cycles but tCCD_L is 8, so a stream
    # confined to one bank group could use only half the bus.
    "DDR4-3200": {
        "address_map": ["row", "rank", "bank", "column", "bankgroup"],
        "freq_hz": 1_600_000_000,
        "ranks": 2,
        "bankgroups": 2,
        "banks_per_group": 4,
        "rows": 65536,
        "row_bytes": 8192,
        "bus_bytes": 8,
        "burst_length": 8,
        "transaction_queue": 16,
        "cycles": {
            "cl": 22,
            "cwl": 16,
            "trcd": 22,
            "trp": 22,
            "tras": 52,
            "trfc": 560,
            "trefi": 12480,
            "trrd_s": 9,
            "trrd_l": 11,
            "tfaw": 48,
            "tccd_s": 4,
            "tccd_l": 8,
            "twtr_s": 4,
            "twtr_l": 12,
            "twr": 24,
            "trtp": 12,
            "trtrs": 1,
        },
    },
    # LPDDR4-3200, one x32 channel (two x16 dies side by side: 4 KiB rows), 8 banks,
    # BL16. JESD209-4 speed-bin values in ns at tCK = 0.625 ns, rounded up: RL 28,
    # WL 14, tRCD = tRPpb 18 ns, tRAS 42 ns, tRFCab 280 ns (8 Gb), tREFI 3.904 us,
    # tRRD 10 ns, tFAW 40 ns, tWTR 10 ns, tWR 18 ns, tRTP 7.5 ns.
    "LPDDR4-3200": {
        **_LPDDR4_X32,
        "freq_hz": 1_600_000_000,
        "cycles": {
            "cl": 28,
            "cwl": 14,
            "trcd": 29,
            "trp": 29,
            "tras": 68,
            "trfc": 448,
            "trefi": 6246,
            "trrd_s": 16,
            "trrd_l": 16,
            "tfaw": 64,
            "tccd_s": 8,
            "tccd_l": 8,
            "twtr_s": 16,
            "twtr_l": 16,
            "twr": 29,
            "trtp": 12,
            "trtrs": 1,
        },
    },
    # LPDDR4X-4266: the same organisation and timings in ns at tCK = 0.469 ns; RL 36, WL 18.
    "LPDDR4X-4266": {
        **_LPDDR4_X32,
        "freq_hz": 2_133_000_000,
        "cycles": {
            "cl": 36,
            "cwl": 18,
            "trcd": 39,
            "trp": 39,
            "tras": 90,
            "trfc": 598,
            "trefi": 8327,
            "trrd_s": 22,
            "trrd_l": 22,
            "tfaw": 86,
            "tccd_s": 8,
            "tccd_l": 8,
            "twtr_s": 22,
            "twtr_l": 22,
            "twr": 39,
            "trtp": 16,
            "trtrs": 1,
        },
    },
    # LPDDR5-6400, one x16 channel, 16 banks in bank-group mode (4 x 4), 2 KiB rows,
    # BL16. Approximate JESD209-5 values in ns, modelled with one clock at half the data
    # rate (3.2 GHz, 0.3125 ns; the real device has a 800 MHz CK and a 4:1 WCK): RL
    # about 21 ns, WL 11 ns, tRCD = tRPpb 18 ns, tRAS 42 ns, tRRD 5 ns, tFAW 20 ns,
    # tCCD_L 5 ns, tWTR_S/L 6.25 / 12 ns, tWR 34 ns, tRTP 7.5 ns, tRFCab 280 ns,
    # tREFI 3.9 us. Bank groups are interleaved below the column (tCCD_L > one burst).
    #
    # Bandwidth (tests/validation/test_dram_presets.py; peak 2 B x 6400 MT/s = 12.8 GB/s,
    # as LPDDR4-3200 x32). Reads of one 32 B burst each, sequential, rotate over the
    # bank groups at tCCD_S = BL/2 and reach 11.9 GB/s, 0.93 of peak: all of it but
    # refresh (1 - tRFC / tREFI = 1 - 896 / 12480 = 0.93), as LPDDR4-3200 does. A longer
    # request's bursts rotate over the bank groups as well (`burst_step_cycles` in
    # soc/config/dram.py), so sequential 1 KiB reads also stream at about 0.94 of peak.
    # Before the model rotated a request's bursts it kept them in one bank group,
    # tCCD_L = 16 cycles = two bursts apart: 1 KiB reads reached 6.0 GB/s (0.47), 64 B
    # reads 7.9 GB/s, and the NPU's 1 KiB reads on dram_contention 5.2 GB/s against
    # 10.7 GB/s on LPDDR4-3200, which gave LPDDR5-6400 twice the frame time.
    "LPDDR5-6400": {
        "freq_hz": 3_200_000_000,
        "ranks": 1,
        "bankgroups": 4,
        "banks_per_group": 4,
        "rows": 65536,
        "row_bytes": 2048,
        "bus_bytes": 2,
        "burst_length": 16,
        "address_map": ["row", "rank", "bank", "column", "bankgroup"],
        "cycles": {
            "cl": 68,
            "cwl": 36,
            "trcd": 58,
            "trp": 58,
            "tras": 135,
            "trfc": 896,
            "trefi": 12480,
            "trrd_s": 16,
            "trrd_l": 16,
            "tfaw": 64,
            "tccd_s": 8,
            "tccd_l": 16,
            "twtr_s": 20,
            "twtr_l": 39,
            "twr": 109,
            "trtp": 24,
            "trtrs": 1,
        },
    },
}
