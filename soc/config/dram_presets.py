"""Banked DRAM presets: organisation, timings (in DRAM clock cycles) and controller of
one channel. Each preset names the configuration it mirrors and says, field by field,
where it differs and why.

DRAMsim3's controller (umd-memsys/DRAMsim3, commit 2981759) differs from our defaults in
three knobs, which DDR4-3200-x8 sets and the other presets leave at our defaults: it
posts writes (`posted_writes`), a read comes back one cycle after its data
(`frontend_cycles` 1: a transaction reaches its bank queue the cycle after the
controller takes it), and its scheduler scans the bank queues round-robin
(`bank_order` rotating). Both controllers keep a read queue and a write queue of
`trans_queue_size` entries and a command queue of `cmd_queue_size` per bank
(PER_BANK), FR-FCFS within a bank, open page, staggered rank refresh."""

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
    # DRAMsim3 configs/LPDDR4_8Gb_x16_2400.ini, the defaults of `BankedTiming`: bankgroups
    # 2, banks_per_group 4, rows 65536, columns 1024 x device_width 16 = 2 KiB a device,
    # four devices on the 64-bit bus: 8 KiB rows; BL16 (128 B requests); channel_size
    # 8192 MB over 4 GiB a rank: 2 ranks; address_mapping rochrababgco (row, rank, bank,
    # bankgroup, column; one channel); CL 17, CWL 14, tRCD 15, tRP 15, tRAS 32, tRFC
    # 392, tREFI 8660, tRRD_S/L 8/8, tFAW 32, tCCD_S/L 4/6, tWTR_S/L 8/16, tWR 30, tRTP
    # 12, tRTRS 1; trans_queue_size 32 (read and write queues), cmd_queue_size 8.
    # Differs: tCK 833.3 ps (1.2 GHz, 2400 MT/s), where the file has 0.83 ns; tPPD (2)
    # is not modelled; the controller is ours (module doc), so a read comes back one
    # cycle sooner than in DRAMsim3. Figures on DRAMsim3's streams (bandwidth within
    # 2 %, latency within 13 %): tests/validation/test_dram_reference.py.
    "LPDDR4-2400-x64": {},
    # DRAMsim3 configs/DDR4_8Gb_x16_3200.ini: bankgroups 2, banks_per_group 4, rows
    # 65536, columns 1024 x device_width 16, four devices on the 64-bit bus: 8 KiB rows;
    # BL8 (64 B); channel_size 8192 MB over 4 GiB a rank: 2 ranks; the file's timings
    # (CL 22, CWL 16, tRCD = tRP 22, tRAS 52, tRFC 560, tREFI 12480, tRRD_S/L 9/11,
    # tFAW 48, tCCD_S/L 4/8, tWTR_S/L 4/12, tWR 24, tRTP 12, tRTRS 1); trans_queue_size
    # 32, cmd_queue_size 8. Differs: tCK 625 ps (1.6 GHz, 3200 MT/s) where the file has
    # 0.63 ns (DDR4-3200-x8 keeps 0.63); the address map interleaves bank groups below
    # the column (the file's rochrababgco keeps them above it): with BL8 a burst takes
    # 4 cycles but tCCD_L is 8, so a stream confined to one bank group could use only
    # half the bus (DDR4-3200-x8 keeps DRAMsim3's map, and its sequential reads reach
    # only 66 % of peak there); the controller is ours (module doc).
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
        "transaction_queue": 32,
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
    # DRAMsim3 configs/DDR4_8Gb_x8_3200.ini (commit 2981759), field by field:
    # [dram_structure] DDR4, bankgroups 4, banks_per_group 4, rows 65536, columns 1024 x
    # device_width 8 = 1 KiB a device, eight devices on the 64-bit bus (bus_width 64):
    # 8 KiB rows; BL 8: one request = 8 B x 8 = 64 B, 4 cycles of data.
    # [timing] tCK 0.63 ns: 1,587,301,588 Hz is 630 ps a cycle, exact to the ps for 3.6
    # million cycles (2.3 ms; then a ps early); DRAMsim3 runs at 0.63 ns, not 3200 MT/s's
    # 0.625. CL 22, CWL 16, AL 0, tRCD 22, tRP 22, tRAS 52, tRFC 560, tREFI 12480, tRRD_S
    # 4, tRRD_L 8, tFAW 34, tCCD_S 4, tCCD_L 8, tWTR_S 4, tWTR_L 12, tWR 24, tRTP 12, tRTRS
    # 1; tRFC2/tRFC4 (fine-granularity refresh), tRPRE/tWPRE (1: the preamble, folded into
    # tRTRS here as in DRAMsim3's read-to-read across ranks) and the power-down timings
    # DRAMsim3 does not use in this configuration either.
    # [system] channel_size 16384 MB over 8 Gb x 8 devices = 8 GiB a rank: 2 ranks;
    # channels 1; address_mapping rochrababgco: row, channel, rank, bank, bankgroup,
    # column above the 64 B offset; queue_structure PER_BANK with cmd_queue_size 8: our
    # per-bank command queues of 8; trans_queue_size 32 with unified_queue false: a read
    # queue and a write buffer of 32 each; refresh_policy RANK_LEVEL_STAGGERED: one rank
    # refreshed every tREFI / ranks, alternately (ours too); row_buf_policy OPEN_PAGE.
    # DRAMsim3's controller (module doc): posted writes; frontend_cycles 1, so a read
    # takes 27 cycles on a row hit and 49 on a closed bank, as DRAMsim3 measures;
    # bank_order rotating.
    # Differs: refresh falls at fixed times (rank 0 at tREFI, rank 1 at 1.5 x tREFI,
    # ...; DRAMsim3's first is rank 0's at tREFI / 2) and keeps the rank for tRFC,
    # closing its rows, where DRAMsim3 precharges them first with commands of their own;
    # a write drain starts when the write queue is full, when no read is queued, or when
    # the oldest write has waited write_max_wait_cycles (DRAMsim3: full, or more than 8
    # writes with every bank queue empty; no age bound), and moves every write that fits
    # at once (DRAMsim3: one transaction a cycle, reads too); an open row serves its
    # queued hits until the oldest request reaches age_limit_cycles, where DRAMsim3 lets
    # a waiting miss close it after 4 hits. Figures on DRAMsim3's five streams (bandwidth
    # within 1 %, latency within 3 %): tests/validation/test_ddr4_x8_reference.py.
    "DDR4-3200-x8": {
        "address_map": ["row", "channel", "rank", "bank", "bankgroup", "column"],
        "freq_hz": 1_587_301_588,
        "ranks": 2,
        "bankgroups": 4,
        "banks_per_group": 4,
        "rows": 65536,
        "row_bytes": 8192,
        "bus_bytes": 8,
        "burst_length": 8,
        "transaction_queue": 32,
        "write_queue": 32,
        "command_queue": 8,
        "page_policy": "open",
        "scheduler": "frfcfs",
        "bank_order": "rotating",
        "posted_writes": True,
        "frontend_cycles": 1,
        "cycles": {
            "cl": 22,
            "cwl": 16,
            "trcd": 22,
            "trp": 22,
            "tras": 52,
            "trfc": 560,
            "trefi": 12480,
            "trrd_s": 4,
            "trrd_l": 8,
            "tfaw": 34,
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
    # BL16. No reference simulator publishes this configuration (DRAMsim3 has LPDDR4
    # at 2400 MT/s only, Ramulator 2 at commit c5b1c3a none), so it mirrors JESD209-4
    # (8 Gb die) with our controller defaults (module doc) and the default address map
    # (row, rank, bank, bankgroup, column: a row's bursts in one bank). Speed-bin values
    # in ns at tCK = 0.625 ns, rounded up: RL 28, WL 14, tRCD = tRPpb 18 ns, tRAS 42 ns,
    # tRFCab 280 ns (8 Gb), tREFI 3.904 us, tRRD 10 ns, tFAW 40 ns, tWTR 10 ns, tWR
    # 18 ns, tRTP 7.5 ns.
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
    # LPDDR4X-4266: the same organisation, JESD209-4X timings in ns at tCK = 0.469 ns;
    # RL 36, WL 18 (no reference simulator configuration either); our controller.
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
    # Not checked against a reference simulator. Ramulator 2 (CMU-SAFARI/ramulator2,
    # commit c5b1c3a, python/ramulator/dram/lpddr5.py: LPDDR5_6400 timings with the
    # LPDDR5_16Gb_x16 organisation) counts in CKs of 1.25 ns, four of our cycles: its
    # organisation (1 rank, 4 x 4 banks, 65536 rows of 1024 x 16 bits), CL, CWL, tCCD_S/L,
    # tRRD_S/L, tFAW, tWTR_S, tRFC and BL/2 are ours; its tRCD = tRP 60, tRAS 136, tWR
    # 112 and tWTR_L 40 round the ns up to a whole CK where ours round them to our cycle
    # (58, 135, 109, 39), its tRTP is 8 CK = 10 ns (ours 7.5 ns: 24) and its tREFI
    # 3906 ns (ours 3.9 us: 12480); tests/validation/test_lpddr5_ramulator2.py checks
    # these against its values. What the model lacks: commands on the CK
    # (ours issue one per 0.3125 ns cycle, four times the command bus), the two-part ACT,
    # WCK synchronisation (CAS), the read-to-write gap of 2 CK, tWTR_L counted from the
    # long burst (BL/n_max), tRPab, tPPD and per-bank refresh.
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
