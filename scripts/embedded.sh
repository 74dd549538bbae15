#!/usr/bin/env bash
# Footprint of staticnet on a microcontroller core under QEMU: builds embedded/ in
# release, checks that no allocator is linked, and prints a table of flash
# (.vector_table + .text + .rodata + .data; RISC-V: + .init.* + .eh_frame), static RAM (.data + .bss +
# .uninit), stack high-water mark and exact instructions per inference (a QEMU
# TCG plugin counts the instructions between the guest's bench_start and
# bench_end markers; for f32_dense and int8_gemv, one 784x128 product). Needs
# qemu-system-arm and binutils-arm-none-eabi (Cortex-M) or qemu-system-misc and
# binutils-riscv64-unknown-elf (RISC-V), and cc. Honours CARGO_TARGET_DIR.
#
#   scripts/embedded.sh                               # Cortex-M4F, mps2-an386 (the table, markdown)
#   scripts/embedded.sh --target thumbv6m-none-eabi   # Cortex-M0, microbit: the tests that fit 256K/16K
#   scripts/embedded.sh --target riscv32imc-unknown-none-elf   # rv32imc (ESP32-C3's ISA), virt
set -euo pipefail
target=thumbv7em-none-eabihf
while [ $# -gt 0 ]; do
    case "$1" in
        --target) target=$2; shift 2 ;;
        --target=*) target=${1#--target=}; shift ;;
        *) echo "usage: $0 [--target thumbv7em-none-eabihf|thumbv6m-none-eabi|riscv32imc-unknown-none-elf]" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/../embedded"
qemu=qemu-system-arm; binutils=arm-none-eabi
case "$target" in
    thumbv7em-none-eabihf)
        machine=(-machine mps2-an386 -cpu cortex-m4)
        tests=(sine mnist lenet tiny train_sine onnx_lenet onnx_lenet_tuned f32_dense int8_gemv int8_sine int8_mnist int8_lenet int8_tiny)
        build=(--bins --tests) ;;
    thumbv6m-none-eabi)
        # The MNIST and LeNet tests need more than 256K of flash (weights in
        # f32) and LeNet more than 16K of RAM; train_sine uses singleton!,
        # which needs atomics the M0 lacks. The f32 tiny classifier fits.
        machine=(-machine microbit -cpu cortex-m0)
        tests=(sine tiny int8_gemv int8_sine int8_mnist int8_lenet int8_tiny)
        build=(--bins --test sine --test tiny --test int8_gemv --test int8_sine --test int8_mnist --test int8_lenet --test int8_tiny) ;;
    riscv32imc-unknown-none-elf)
        # The M0's tests and the f32 MLP (4M of flash); LeNet-5 in f32 and
        # train_sine use singleton!, which needs compare-and-swap (no A extension).
        qemu=qemu-system-riscv32; binutils=riscv64-unknown-elf
        machine=(-machine virt -bios none)
        tests=(sine mnist tiny int8_gemv int8_sine int8_mnist int8_lenet int8_tiny)
        build=(--bins --test sine --test mnist --test tiny --test int8_gemv --test int8_sine --test int8_mnist --test int8_lenet --test int8_tiny) ;;
    *) echo "error: no QEMU machine for $target" >&2; exit 2 ;;
esac
tgt=${CARGO_TARGET_DIR:-target}
dir=$tgt/$target/release
plugin=$tgt/libinsncount.so
cargo build --release --quiet --target "$target" "${build[@]}"
mkdir -p "$tgt"
[ -f "$plugin" ] || cc -shared -fPIC -O2 -o "$plugin" tools/insncount.c

elfs=("$dir/sine_footprint" "$dir/tiny_footprint" "$dir/lenet_int8_footprint")
for t in "${tests[@]}"; do
    elfs+=("$(ls -t "$dir"/deps/"$t"-* | grep -v '\.d$' | head -1)")
done

# No allocator anywhere: no allocation entry points, no #[global_allocator].
for elf in "${elfs[@]}"; do
    if "$binutils-nm" "$elf" | grep -E '__rust_alloc|__rust_alloc_zeroed|__rg_alloc|__rust_no_alloc_shim_is_unstable|__rdl_alloc' >/dev/null; then
        echo "error: $elf links an allocator" >&2
        exit 1
    fi
done
if cargo tree -e normal,features,no-proc-macro --target "$target" 2>/dev/null | grep -E 'extern_crate_alloc|embedded-alloc|linked_list_allocator|"alloc"' >/dev/null; then
    echo "error: a dependency enables alloc" >&2
    exit 1
fi
echo "no allocator linked in ${#elfs[@]} binaries"

sym() { "$binutils-nm" "$1" | awk -v s="$2" '$3==s {print "0x"$1}'; }
sizes() {
    # riscv-rt adds .init.* (start-up code) and .eh_frame to flash.
    "$binutils-size" -A "$1" | awk '
      /^\.(vector_table|text|init\.[a-z_]+|rodata|eh_frame)[ \t]/ {flash+=$2} /^\.data[ \t]/ {flash+=$2; ram+=$2}
      /^\.(bss|uninit)[ \t]/ {ram+=$2}
      END {printf "%d %d\n", flash, ram}'
}
echo
echo "| binary | flash (B) | static RAM (B) | instructions per inference | guest output |"
echo "|---|---|---|---|---|"
for elf in "${elfs[@]}"; do
    name=$(basename "$elf" | sed 's/-[0-9a-f]*$//')
    read -r flash ram < <(sizes "$elf")
    s=$(sym "$elf" bench_start); e=$(sym "$elf" bench_end)
    args=exact=on
    [ -n "$s" ] && [ -n "$e" ] && args="$args,start=$s,end=$e"
    out=$(mktemp); err=$(mktemp)
    set +e
    timeout 120 "$qemu" "${machine[@]}" -nographic -monitor none \
        -semihosting-config enable=on,target=native -icount shift=0 \
        -plugin "$plugin,$args" -kernel "$elf" </dev/null >"$out" 2>"$err"
    rc=$?
    set -e
    insns=$(grep -oE 'insns_window=[0-9]+' "$err" | cut -d= -f2 || true)
    summary=$(grep -vE "^x " "$out" | tail -1 | cut -c1-110 || true)
    echo "| $name | $flash | $ram | ${insns:--} | exit $rc: $summary |"
    if [ "$name" = tiny_footprint ]; then
        tiny=(flash "$flash" ram "$ram" stack "$(grep -oE 'stack_high_water_bytes=[0-9]+' "$out" | cut -d= -f2)")
    fi
    if [ "$name" = sine_footprint ]; then
        sine_flash=$flash; sine_insns=$insns
        sine_ws=$(grep -oE 'workspace_bytes=[0-9]+' "$out" | cut -d= -f2)
    fi
    rm -f "$out" "$err"
    [ "$rc" -eq 0 ] || { echo "error: $name failed" >&2; exit 1; }
done

# The tiny MNIST classifier's whole firmware against 16 KB of flash and 4 KB
# of RAM (static RAM plus the stack high-water mark), reported, not enforced.
echo
echo "tiny_footprint: flash ${tiny[1]} B of 16384; RAM ${tiny[3]} B static + ${tiny[5]} B stack = $((tiny[3] + tiny[5])) B of 4096"

# The issue's targets for the sine model, on the Cortex-M4F (onnx2c: 20 us at
# 96 MHz in 8.3 kB of code; MicroFlow 34 kB flash; TFLM 116 kB).
[ "$target" = thumbv7em-none-eabihf ] || exit 0
fail=0
check() { if [ "$2" -le "$3" ]; then echo "ok: $1 $2 <= $3"; else echo "error: $1 $2 > $3" >&2; fail=1; fi; }
echo
check "sine instructions per inference" "$sine_insns" 1500
check "sine binary flash bytes" "$sine_flash" 8192
check "sine network RAM bytes (workspace; weights in flash)" "$sine_ws" 1024
exit $fail
