/* From the workplace recipe (../shared/tools/qemu/insncount.c): a QEMU 7.2 TCG plugin (API v1)
   counting guest instructions, optionally only between entries of two symbols. */
/* Minimal QEMU TCG plugin: counts guest instructions executed (all vCPUs, single-core M-profile).
 * Option exact=on: count per instruction instead of per TB (exact, somewhat slower).
 * Optional window: -plugin ./libinsncount.so,start=0xADDR,end=0xADDR sums the instructions
 * executed between each entry to the TB at `start` and the next entry to the TB at `end`
 * (addresses of two distinct #[inline(never)] marker functions; thumb bit ignored).
 * Self-contained declarations of the QEMU 7.x plugin ABI (QEMU_PLUGIN_VERSION 1); no QEMU headers needed.
 * Build: cc -shared -fPIC -O2 -o libinsncount.so insncount.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t; /* opaque: we do not read it */
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn;
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t total, win_start, win_sum, n_windows;
static uint64_t start_addr = UINT64_MAX, end_addr = UINT64_MAX;
static bool in_window, exact;

static void on_start(unsigned int vcpu, void *u) { (void)vcpu; (void)u; win_start = total; in_window = true; }
static void on_end(unsigned int vcpu, void *u) {
    (void)vcpu; (void)u;
    if (in_window) { win_sum += total - win_start; n_windows++; in_window = false; }
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    uint64_t pc = qemu_plugin_tb_vaddr(tb) & ~1ull;
    /* registered before the inline add => `total` excludes this TB when the marker fires */
    if (pc == start_addr) qemu_plugin_register_vcpu_tb_exec_cb(tb, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
    if (pc == end_addr)   qemu_plugin_register_vcpu_tb_exec_cb(tb, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (exact) /* +1 per executed insn: exact even when a TB is left early (exception, semihosting, icount I/O) */
        for (size_t i = 0; i < n; i++)
            qemu_plugin_register_vcpu_insn_exec_inline(qemu_plugin_tb_get_insn(tb, i), QEMU_PLUGIN_INLINE_ADD_U64, &total, 1);
    else /* +n per TB entered: faster, may over-count by the tail of a TB left early */
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total, n);
}

static void report(void) {
    static bool done;
    if (done) return;
    done = true;
    fprintf(stderr, "insns_total=%llu", (unsigned long long)total);
    if (n_windows) fprintf(stderr, " insns_window=%llu windows=%llu",
                           (unsigned long long)win_sum, (unsigned long long)n_windows);
    fprintf(stderr, "\n");
}
static void at_exit(qemu_plugin_id_t id, void *u) { (void)id; (void)u; report(); }

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "start=", 6)) start_addr = strtoull(argv[i] + 6, NULL, 0) & ~1ull;
        else if (!strncmp(argv[i], "end=", 4)) end_addr = strtoull(argv[i] + 4, NULL, 0) & ~1ull;
        else if (!strcmp(argv[i], "exact=on")) exact = true;
        else { fprintf(stderr, "insncount: unknown arg %s\n", argv[i]); return -1; }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    atexit(report); /* semihosting SYS_EXIT calls exit(); make sure we report either way */
    return 0;
}
