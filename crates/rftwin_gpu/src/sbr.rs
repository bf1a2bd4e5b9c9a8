//! Shooting and bouncing of rays on the GPU (candidate chains for solver A).

use crate::pipeline::{bind_buffers, kernel_set, encode_dispatch, read_back, readback_buffer, scoped, storage_buffer, storage_entry, uniform, uniform_entry, upload_scene};
use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::{CHAIN_DEDUP_EMIT, CHAIN_DEDUP_INSERT, SBR_CANDIDATES};
use bytemuck::{Pod, Zeroable};
use rftwin_bvh::Bvh;

/// Per-triangle data of the SBR kernel (32 bytes). Keep in sync with
/// shaders/sbr_candidates.wgsl (`TriInfo`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct TriInfo {
    /// Unit normal.
    pub normal: [f32; 3],
    /// Mirror-plane id.
    pub plane: u32,
    /// Material index.
    pub material: u32,
    /// Padding.
    pub pad: [u32; 3],
}

/// A slab material (16 bytes). Keep in sync with shaders/common/slab.wgsl (`SlabMaterial`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct SlabMaterial {
    /// Complex relative permittivity (re, im).
    pub eta: [f32; 2],
    /// Thickness \[m\].
    pub thickness: f32,
    /// Padding.
    pub pad: f32,
}

/// Kernel parameters (48 bytes, a uniform). Keep in sync with shaders/sbr_candidates.wgsl (`SbrParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct SbrParams {
    /// Ray origin \[m\].
    pub source: [f32; 3],
    /// Lattice size N.
    pub samples: u32,
    /// First sample of this dispatch.
    pub first_sample: u32,
    /// Samples in this dispatch.
    pub count: u32,
    /// Bounces.
    pub max_depth: u32,
    /// Bit 0: specular reflection, bit 1: refraction.
    pub flags: u32,
    /// Seed of the reflect-or-refract choices.
    pub seed: u32,
    /// Wavelength \[m\].
    pub wavelength: f32,
    /// Smallest t after the first bounce \[m\].
    pub t_min: f32,
    /// Padding.
    pub pad: u32,
}

/// Parameters of the `chain_dedup` kernels (32 bytes, a uniform). Keep in sync with
/// shaders/chain_dedup.wgsl (`DedupParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct DedupParams {
    /// Samples in this dispatch.
    pub count: u32,
    /// Longest chain.
    pub max_depth: u32,
    /// Index of this dispatch within the solve.
    pub dispatch_index: u32,
    /// Table slots − 1 (a power of two).
    pub slot_mask: u32,
    /// Bits of the hash kept in the key.
    pub key_mask: u32,
    /// Records of the unique list.
    pub capacity: u32,
    /// Records of the overflow list.
    pub overflow_capacity: u32,
    /// Linear-probing steps before a prefix goes to the overflow list.
    pub max_probes: u32,
}

/// Sizes of the device-side deduplication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupSettings {
    /// Distinct chains the unique list holds (the table has the next power of two ≥ 2×
    /// as many slots).
    pub capacity: u32,
    /// Prefixes the overflow list holds.
    pub overflow_capacity: u32,
    /// Bits of the 32-bit hash kept in the key (`u32::MAX − 1` in use; tests shrink it to
    /// force collisions).
    pub key_mask: u32,
    /// Linear-probing steps before a prefix goes to the overflow list.
    pub max_probes: u32,
}

impl Default for DedupSettings {
    fn default() -> Self {
        DedupSettings { capacity: 1 << 20, overflow_capacity: 1 << 16, key_mask: u32::MAX - 1, max_probes: 64 }
    }
}

/// The chains that came back from [`GpuSbr::run_dedup`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DedupOutput {
    /// Distinct chains from the device, then overflow prefixes and (after a fallback)
    /// every prefix of the re-traced samples; only the latter two may repeat.
    pub chains: Vec<Vec<u32>>,
    /// Distinct chains the device settled.
    pub device_unique: u64,
    /// Prefixes sent to the overflow list.
    pub overflowed: u64,
    /// Whether a list filled up and the remaining samples were read back in full.
    pub host_fallback: bool,
}

/// Chain code of a refraction (as in `rftwin_trace::scene_geometry::chain::REFRACTION_CODE`).
pub const REFRACTION: u32 = u32::MAX;

/// The SBR pipeline with the scene uploaded.
#[derive(Debug)]
pub struct GpuSbr {
    buffers: [wgpu::Buffer; 4],
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    dedup_layout: wgpu::BindGroupLayout,
    dedup_pipelines: Vec<wgpu::ComputePipeline>,
    empty: bool,
}

impl GpuSbr {
    /// Uploads the BVH, per-triangle data (indexed by original triangle id) and materials.
    pub fn new(ctx: &GpuContext, bvh: &Bvh, tri_info: &[TriInfo], materials: &[SlabMaterial]) -> Result<Self, GpuError> {
        let buffers = upload_scene(ctx, bvh, tri_info, materials)?;
        scoped(ctx, "SBR pipelines", || {
            let sbr_entries = [storage_entry(0, true), storage_entry(1, true), storage_entry(2, true), storage_entry(3, true), uniform_entry(4), storage_entry(5, false), storage_entry(6, false)];
            let (layout, mut pipelines) = kernel_set(ctx, &[SBR_CANDIDATES], &sbr_entries);
            let pipeline = pipelines.remove(0);
            let mut entries: Vec<wgpu::BindGroupLayoutEntry> = vec![storage_entry(0, true), storage_entry(1, true)];
            entries.extend((2..7).map(|b| storage_entry(b, false)));
            entries.push(uniform_entry(7));
            let (dedup_layout, dedup_pipelines) = kernel_set(ctx, &[CHAIN_DEDUP_INSERT, CHAIN_DEDUP_EMIT], &entries);
            GpuSbr { buffers, pipeline, layout, dedup_layout, dedup_pipelines, empty: bvh.nodes.is_empty() }
        })
    }

    /// Records the SBR dispatch of `p` into `enc`; returns the chain and depth buffers.
    fn encode_sbr(&self, ctx: &GpuContext, enc: &mut wgpu::CommandEncoder, p: &SbrParams) -> (wgpu::Buffer, wgpu::Buffer) {
        let chain_bytes = p.count as u64 * p.max_depth as u64 * 4;
        let depth_bytes = p.count as u64 * 4;
        let ub = uniform(ctx, "sbr params", p);
        let (chains, depths) = (storage_buffer(ctx, "chains", chain_bytes), storage_buffer(ctx, "depths", depth_bytes));
        let [b0, b1, b2, b3] = &self.buffers;
        let bind = bind_buffers(ctx, &self.layout, "sbr", &[b0, b1, b2, b3, &ub, &chains, &depths]);
        encode_dispatch(ctx, enc, &self.pipeline, &bind, &SBR_CANDIDATES, p.count as u64);
        (chains, depths)
    }

    /// The largest chunk of samples whose chain buffer fits one binding.
    fn chunk(&self, ctx: &GpuContext, params: &SbrParams, chunk: u32) -> u32 {
        let md = params.max_depth as u64;
        let by_binding = (ctx.max_binding_bytes() / (4 * md)).min(u32::MAX as u64) as u32;
        chunk.min(by_binding).max(1)
    }

    /// Traces samples `params.first_sample ..` in dispatches of at most `chunk` and calls
    /// `sink(first_sample, chains, depths)` for each (chains: `count × max_depth` codes,
    /// depths: bounces recorded per sample).
    pub fn run(&self, ctx: &GpuContext, params: SbrParams, chunk: u32, mut sink: impl FnMut(u32, &[u32], &[u32])) -> Result<(), GpuError> {
        if self.empty || params.samples == 0 || params.max_depth == 0 {
            return Ok(());
        }
        let chunk = self.chunk(ctx, &params, chunk);
        let mut first = params.first_sample;
        while first < params.samples {
            let count = chunk.min(params.samples - first);
            let (chains, depths) = self.dispatch_and_read(ctx, &SbrParams { first_sample: first, count, ..params })?;
            sink(first, &chains, &depths);
            first += count;
        }
        Ok(())
    }

    /// One SBR dispatch, read back in full.
    fn dispatch_and_read(&self, ctx: &GpuContext, p: &SbrParams) -> Result<(Vec<u32>, Vec<u32>), GpuError> {
        let (chain_rb, depth_rb, submission) = scoped(ctx, "SBR dispatch", || {
            let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("sbr") });
            let (chains, depths) = self.encode_sbr(ctx, &mut enc, p);
            let (chain_rb, depth_rb) = (readback_buffer(ctx, "chains readback", chains.size()), readback_buffer(ctx, "depths readback", depths.size()));
            enc.copy_buffer_to_buffer(&chains, 0, &chain_rb, 0, chains.size());
            enc.copy_buffer_to_buffer(&depths, 0, &depth_rb, 0, depths.size());
            (chain_rb, depth_rb, ctx.queue.submit([enc.finish()]))
        })?;
        let mut chains = read_back::<u32>(ctx, &chain_rb, submission.clone(), "SBR readback")?;
        let mut depths = read_back::<u32>(ctx, &depth_rb, submission, "SBR readback")?;
        chains.truncate(p.count as usize * p.max_depth as usize);
        depths.truncate(p.count as usize);
        Ok((chains, depths))
    }

    /// Traces all samples and deduplicates every chain prefix on the device
    /// (`chain_dedup` kernels): only distinct chains come back, plus the prefixes the
    /// table could not settle (key collisions, no free slot), which the caller
    /// deduplicates. When the unique or overflow list fills up, the remaining work falls
    /// back to reading every chain (`host_fallback`), so nothing is lost.
    pub fn run_dedup(&self, ctx: &GpuContext, params: SbrParams, chunk: u32, settings: &DedupSettings) -> Result<DedupOutput, GpuError> {
        let mut out = DedupOutput::default();
        if self.empty || params.samples == 0 || params.max_depth == 0 {
            return Ok(out);
        }
        let md = params.max_depth;
        let record = (md as u64 + 1) * 4;
        let limit = ctx.max_binding_bytes();
        let capacity = (settings.capacity as u64).min(limit / record).clamp(1, 1 << 30) as u32;
        let overflow_capacity = (settings.overflow_capacity as u64).min(limit / record).max(1) as u32;
        let mut slots = (2 * capacity as u64).next_power_of_two();
        while slots > 2 && slots * 8 + 16 > limit {
            slots /= 2;
        }
        let chunk = self.chunk(ctx, &params, chunk);
        let table = storage_buffer(ctx, "dedup table", slots * 8 + 16);
        let slot_info = storage_buffer(ctx, "dedup slot info", slots * 8);
        let uniques = storage_buffer(ctx, "dedup uniques", capacity as u64 * record);
        let overflow = storage_buffer(ctx, "dedup overflow", overflow_capacity as u64 * record);
        let mut first = params.first_sample;
        let mut dispatch = 0u32;
        let (mut n_unique, mut n_overflow) = (0u32, 0u32);
        while first < params.samples {
            let count = chunk.min(params.samples - first);
            let p = SbrParams { first_sample: first, count, ..params };
            let dp = DedupParams {
                count,
                max_depth: md,
                dispatch_index: dispatch,
                slot_mask: (slots - 1) as u32,
                key_mask: settings.key_mask,
                capacity,
                overflow_capacity,
                max_probes: settings.max_probes.max(1),
            };
            let (counter_rb, submission) = scoped(ctx, "chain dedup", || {
                let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("sbr + dedup") });
                let (chains, depths) = self.encode_sbr(ctx, &mut enc, &p);
                let prefix_slot = storage_buffer(ctx, "dedup prefix slots", count as u64 * md as u64 * 4);
                let ub = uniform(ctx, "dedup params", &dp);
                let bind = bind_buffers(ctx, &self.dedup_layout, "dedup", &[&chains, &depths, &table, &slot_info, &prefix_slot, &uniques, &overflow, &ub]);
                encode_dispatch(ctx, &mut enc, &self.dedup_pipelines[0], &bind, &CHAIN_DEDUP_INSERT, count as u64);
                encode_dispatch(ctx, &mut enc, &self.dedup_pipelines[1], &bind, &CHAIN_DEDUP_EMIT, count as u64);
                let rb = readback_buffer(ctx, "dedup counters", 16);
                enc.copy_buffer_to_buffer(&table, slots * 8, &rb, 0, 16);
                (rb, ctx.queue.submit([enc.finish()]))
            })?;
            let counters = read_back::<u32>(ctx, &counter_rb, submission, "dedup counters")?;
            (n_unique, n_overflow) = (counters[0], counters[1]);
            dispatch += 1;
            if n_unique > capacity || n_overflow > overflow_capacity {
                // Lists full: this dispatch's records may be incomplete. Keep what the
                // lists hold, re-trace this dispatch and the rest with a full read-back.
                out.host_fallback = true;
                break;
            }
            first += count;
        }
        out.device_unique = n_unique.min(capacity) as u64;
        out.overflowed = n_overflow as u64;
        for (buf, n, what) in [(&uniques, n_unique.min(capacity), "dedup uniques"), (&overflow, n_overflow.min(overflow_capacity), "dedup overflow")] {
            out.chains.extend(read_chain_records(ctx, buf, n, md, what)?);
        }
        if out.host_fallback {
            self.run(ctx, SbrParams { first_sample: first, ..params }, chunk, |_, chains, depths| {
                for (k, &d) in depths.iter().enumerate() {
                    let c = &chains[k * md as usize..k * md as usize + d as usize];
                    out.chains.extend((1..=c.len()).map(|len| c[..len].to_vec()));
                }
            })?;
        }
        Ok(out)
    }
}

/// The first `n` chain records (`[length, codes × max_depth]` words) of `buf`.
fn read_chain_records(ctx: &GpuContext, buf: &wgpu::Buffer, n: u32, max_depth: u32, what: &'static str) -> Result<Vec<Vec<u32>>, GpuError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let md = max_depth as usize;
    let bytes = n as u64 * (md as u64 + 1) * 4;
    let (rb, submission) = scoped(ctx, what, || {
        let rb = readback_buffer(ctx, what, bytes);
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(what) });
        enc.copy_buffer_to_buffer(buf, 0, &rb, 0, bytes);
        (rb, ctx.queue.submit([enc.finish()]))
    })?;
    let mut words = read_back::<u32>(ctx, &rb, submission, what)?;
    words.truncate(n as usize * (md + 1));
    Ok(words.chunks_exact(md + 1).map(|r| r[1..1 + (r[0] as usize).min(md)].to_vec()).collect())
}
