// Deduplication of candidate chains on the device: an open-addressing hash table of
// chain prefixes that persists across the SBR dispatches of one solve. Exact: equal
// hash keys are confirmed by comparing the codes; a prefix whose key collides with a
// different chain, or that finds no free slot, goes to an overflow list that the host
// deduplicates (nothing is dropped). CPU twin: the hash set in
// rftwin_trace::candidates::shoot_and_bounce.
//
// Two entry points over one bind group:
//   chain_dedup_insert — per sample: every prefix claims its key's slot (compare-and-
//     swap on the key) and bids for ownership with atomicMax(!prefix id), so the
//     lowest prefix id of this dispatch owns a slot born in it;
//   chain_dedup_emit — per sample, after insert: the owner of a slot born in this
//     dispatch appends its chain to the unique list; the others compare with it (slot
//     born now) or with the unique list entry (slot born in an earlier dispatch).
//
// Table layout (`table`, atomics): slot s holds key 2s and bid 2s+1; the last four
// words are counters [unique count, overflow count, -, -].
// `slot_info` (plain): 2s = dispatch in which slot s was born + 1, 2s+1 = unique index + 1.
// `uniques` and `overflow`: records of (max_depth + 1) words, length then codes.

struct DedupParams {
    count: u32,          // samples in this dispatch
    max_depth: u32,
    dispatch_index: u32,
    slot_mask: u32,      // table slots − 1 (a power of two)
    key_mask: u32,       // bits of the hash kept in the key (tests shrink it to force collisions)
    capacity: u32,       // records in `uniques`
    overflow_capacity: u32,
    max_probes: u32,
}

const NONE: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> chains: array<u32>;
@group(0) @binding(1) var<storage, read> depths: array<u32>;
@group(0) @binding(2) var<storage, read_write> table: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> slot_info: array<u32>;
@group(0) @binding(4) var<storage, read_write> prefix_slot: array<u32>;
@group(0) @binding(5) var<storage, read_write> uniques: array<u32>;
@group(0) @binding(6) var<storage, read_write> overflow: array<u32>;
@group(0) @binding(7) var<uniform> params: DedupParams;

override WORKGROUP_SIZE: u32 = 64u;

fn counter_base() -> u32 {
    return 2u * (params.slot_mask + 1u);
}

// Hash of a prefix extended by `code` (the length enters through the chaining).
fn extend_hash(h: u32, code: u32) -> u32 {
    return pcg_hash(h ^ pcg_hash(code + 0x9e3779b9u));
}

fn sample_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn chain_dedup_insert(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = sample_index(gid, groups);
    if (i >= params.count) {
        return;
    }
    let md = params.max_depth;
    let depth = depths[i];
    var h = 0x811c9dc5u;
    for (var k = 0u; k < depth; k++) {
        h = extend_hash(h, chains[i * md + k]);
        let key = (h & params.key_mask) + 1u;
        let id = i * md + k;
        var slot = pcg_hash(key) & params.slot_mask;
        var found = NONE;
        for (var p = 0u; p < params.max_probes; p++) {
            let r = atomicCompareExchangeWeak(&table[2u * slot], 0u, key);
            if (r.exchanged) {
                slot_info[2u * slot] = params.dispatch_index + 1u;
                found = slot;
                break;
            }
            if (r.old_value == key) {
                found = slot;
                break;
            }
            if (r.old_value == 0u) {
                // spurious failure of the weak exchange: retry the same slot
                p = p - 1u;
                continue;
            }
            slot = (slot + 1u) & params.slot_mask;
        }
        prefix_slot[id] = found;
        if (found != NONE) {
            atomicMax(&table[2u * found + 1u], ~id);
        }
    }
}

fn push_overflow(i: u32, len: u32) {
    let md = params.max_depth;
    let idx = atomicAdd(&table[counter_base() + 1u], 1u);
    if (idx < params.overflow_capacity) {
        let base = idx * (md + 1u);
        overflow[base] = len;
        for (var k = 0u; k < len; k++) {
            overflow[base + 1u + k] = chains[i * md + k];
        }
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn chain_dedup_emit(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = sample_index(gid, groups);
    if (i >= params.count) {
        return;
    }
    let md = params.max_depth;
    let depth = depths[i];
    for (var k = 0u; k < depth; k++) {
        let len = k + 1u;
        let id = i * md + k;
        let slot = prefix_slot[id];
        if (slot == NONE) {
            push_overflow(i, len);
            continue;
        }
        if (slot_info[2u * slot] == params.dispatch_index + 1u) {
            // born in this dispatch: compare with its owner in `chains`
            let owner = ~atomicLoad(&table[2u * slot + 1u]);
            if (owner == id) {
                let idx = atomicAdd(&table[counter_base()], 1u);
                if (idx < params.capacity) {
                    let base = idx * (md + 1u);
                    uniques[base] = len;
                    for (var j = 0u; j < len; j++) {
                        uniques[base + 1u + j] = chains[i * md + j];
                    }
                    slot_info[2u * slot + 1u] = idx + 1u;
                }
                continue;
            }
            let os = owner / md;
            var same = (owner % md) + 1u == len;
            for (var j = 0u; same && j < len; j++) {
                same = chains[os * md + j] == chains[i * md + j];
            }
            if (!same) {
                push_overflow(i, len);
            }
        } else {
            // born earlier: compare with the unique record
            let uid = slot_info[2u * slot + 1u];
            var same = uid != 0u;
            if (same) {
                let base = (uid - 1u) * (md + 1u);
                same = uniques[base] == len;
                for (var j = 0u; same && j < len; j++) {
                    same = uniques[base + 1u + j] == chains[i * md + j];
                }
            }
            if (!same) {
                push_overflow(i, len);
            }
        }
    }
}
