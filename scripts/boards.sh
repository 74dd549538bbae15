#!/usr/bin/env bash
# The example firmware of embedded/boards/ (Raspberry Pi Pico: RP2040; nRF52840-DK):
# formatting, release builds with warnings denied, and for each ELF its flash and static RAM
# from arm-none-eabi-size (flash = text + data: the image written to flash, with
# .boot2 and the vector table; static RAM = data + bss, bss including .uninit:
# defmt's RTT buffer), and a check that the network's weights (`include_weights!`'s
# `NET::FILE`) are linked in flash and no allocator is. Needs binutils-arm-none-eabi and the targets
# thumbv6m-none-eabi and thumbv7em-none-eabihf. The two crates share one target
# directory (CARGO_TARGET_DIR if set, else embedded/boards/target), so the host's
# proc macros are built once.
#
#   scripts/boards.sh        # prints a markdown table
set -euo pipefail
cd "$(dirname "$0")/../embedded/boards"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
rows=()
for board in rp2040:thumbv6m-none-eabi nrf52840:thumbv7em-none-eabihf; do
    name=${board%%:*} target=${board#*:}
    # One compilation, warnings denied (clippy would compile everything a
    # second time: the embassy crates make that minutes in CI).
    (cd "$name" && cargo fmt --check && RUSTFLAGS="-D warnings" cargo build --release --locked)
    elf=$CARGO_TARGET_DIR/$target/release/staticnet-board-$name
    read -r text data bss _ < <(arm-none-eabi-size "$elf" | tail -1)
    # The weights: a read-only symbol below 0x2000_0000 (RAM starts there on both chips).
    read -r addr size _ < <(arm-none-eabi-nm -S "$elf" | grep -E ' [rR] .*3NET4FILE' | head -1) \
        || { echo "error: $elf: no NET::FILE symbol (the network's weights)" >&2; exit 1; }
    if (( 16#$addr >= 16#20000000 )); then
        echo "error: $elf: the weights are at 0x$addr, not in flash" >&2
        exit 1
    fi
    if arm-none-eabi-nm "$elf" | grep -E '__rust_alloc|__rg_alloc|__rdl_alloc' >/dev/null; then
        echo "error: $elf: an allocator is linked" >&2
        exit 1
    fi
    rows+=("| \`$name\` | \`$target\` | $((text + data)) B | $((data + bss)) B | $((16#$size)) B at 0x$addr |")
done
echo
echo "| board | target | flash | static RAM | weights (in flash) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
