//! Shared plumbing of the kernels: bind-group entries, pipelines, 2D dispatch, error
//! scopes and read-back.

use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::Kernel;

pub(crate) fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Storage { read_only }, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    }
}

/// A uniform-buffer entry of a compute bind-group layout.
pub(crate) fn uniform_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    }
}

/// The compute pipeline of `kernel` with one bind group of `layout`.
pub(crate) fn compute_pipeline(ctx: &GpuContext, layout: &wgpu::BindGroupLayout, kernel: &Kernel) -> wgpu::ComputePipeline {
    let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(kernel.name), source: wgpu::ShaderSource::Wgsl(kernel.source.into()) });
    let pl = ctx.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor { label: Some(kernel.name), bind_group_layouts: &[Some(layout)], immediate_size: 0 });
    ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(kernel.name),
        layout: Some(&pl),
        module: &module,
        entry_point: Some(kernel.entry_point),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// The bind-group layout of `entries` and one pipeline per kernel of `kernels`, compiled
/// on the first request and cached in the context afterwards (kernel hosts are created
/// per call; shader compilation is not repeated).
pub(crate) fn kernel_set(ctx: &GpuContext, kernels: &[Kernel], entries: &[wgpu::BindGroupLayoutEntry]) -> (wgpu::BindGroupLayout, Vec<wgpu::ComputePipeline>) {
    let key = kernels[0].entry_point;
    let mut sets = ctx.kernel_sets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    sets.entry(key)
        .or_insert_with(|| {
            let layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(kernels[0].name), entries });
            let pipelines = kernels.iter().map(|k| compute_pipeline(ctx, &layout, k)).collect();
            (layout, pipelines)
        })
        .clone()
}

/// Records one dispatch of `items` invocations of `kernel` (2D grid when the count
/// exceeds `max_compute_workgroups_per_dimension`; kernels index `x + y · width`).
pub(crate) fn encode_dispatch(ctx: &GpuContext, enc: &mut wgpu::CommandEncoder, pipeline: &wgpu::ComputePipeline, bind: &wgpu::BindGroup, kernel: &Kernel, items: u64) {
    let groups = items.div_ceil(kernel.workgroup_size as u64);
    let max = ctx.limits().max_compute_workgroups_per_dimension as u64;
    let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(kernel.name), timestamp_writes: None });
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, bind, &[]);
    pass.dispatch_workgroups(groups.min(max) as u32, groups.div_ceil(max) as u32, 1);
}

/// Runs `f` inside validation and out-of-memory error scopes and turns a captured
/// error into [`GpuError::Wgpu`].
pub(crate) fn scoped<T>(ctx: &GpuContext, stage: &'static str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
    let oom = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let out = f();
    let v = pollster::block_on(validation.pop());
    let o = pollster::block_on(oom.pop());
    if let Some(e) = v.or(o) {
        return Err(GpuError::Wgpu { stage, message: e.to_string() });
    }
    ctx.check_lost(stage)?;
    Ok(out)
}

/// Maps a MAP_READ buffer after `submission` and copies it out.
pub(crate) fn read_back<T: bytemuck::Pod>(ctx: &GpuContext, buffer: &wgpu::Buffer, submission: wgpu::SubmissionIndex, stage: &'static str) -> Result<Vec<T>, GpuError> {
    let slice = buffer.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    ctx.device
        .poll(wgpu::PollType::Wait { submission_index: Some(submission), timeout: Some(std::time::Duration::from_secs(600)) })
        .map_err(|e| GpuError::DeviceLost { stage, message: e.to_string() })?;
    rx.recv()
        .map_err(|e| GpuError::DeviceLost { stage, message: e.to_string() })?
        .map_err(|e| GpuError::Wgpu { stage, message: e.to_string() })?;
    let data = slice.get_mapped_range().map_err(|e| GpuError::Wgpu { stage, message: e.to_string() })?;
    let out: Vec<T> = bytemuck::cast_slice(&data).to_vec();
    drop(data);
    buffer.unmap();
    ctx.check_lost(stage)?;
    Ok(out)
}

/// `Err(TooLarge)` for the first `(what, bytes)` that exceeds one storage binding.
pub(crate) fn check_fits(ctx: &GpuContext, sizes: &[(&'static str, u64)]) -> Result<(), GpuError> {
    let limit = ctx.max_binding_bytes();
    match sizes.iter().find(|(_, bytes)| *bytes > limit) {
        Some(&(what, needed)) => Err(GpuError::TooLarge { what, needed, limit }),
        None => Ok(()),
    }
}

/// A buffer holding `bytes` (zero-sized bindings are invalid: an empty slice becomes 64
/// zero bytes).
pub(crate) fn upload(ctx: &GpuContext, label: &str, bytes: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
    use wgpu::util::DeviceExt;
    let pad = [0u8; 64];
    let contents = if bytes.is_empty() { &pad[..] } else { bytes };
    ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage })
}

/// A uniform buffer holding `value`.
pub(crate) fn uniform<T: bytemuck::Pod>(ctx: &GpuContext, label: &str, value: &T) -> wgpu::Buffer {
    upload(ctx, label, bytemuck::bytes_of(value), wgpu::BufferUsages::UNIFORM)
}

/// A zeroed storage buffer of `size` bytes (at least 16) that can be copied out.
pub(crate) fn storage_buffer(ctx: &GpuContext, label: &str, size: u64) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: size.max(16), usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC, mapped_at_creation: false })
}

/// A mappable read-back buffer of `size` bytes (at least 4).
pub(crate) fn readback_buffer(ctx: &GpuContext, label: &str, size: u64) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: size.max(4), usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false })
}

/// A bind group of `buffers` at bindings 0, 1, 2, … of `layout`.
pub(crate) fn bind_buffers(ctx: &GpuContext, layout: &wgpu::BindGroupLayout, label: &str, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers.iter().enumerate().map(|(b, buf)| wgpu::BindGroupEntry { binding: b as u32, resource: buf.as_entire_binding() }).collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(label), layout, entries: &entries })
}

/// The scene buffers of the tracing kernels (bindings 0–3): BVH nodes, BVH triangles,
/// per-triangle data (indexed by original triangle id) and materials.
pub(crate) fn upload_scene<T: bytemuck::Pod, M: bytemuck::Pod>(ctx: &GpuContext, bvh: &rftwin_bvh::Bvh, tri_data: &[T], materials: &[M]) -> Result<[wgpu::Buffer; 4], GpuError> {
    let size = |b: &[u8]| b.len() as u64;
    let (nodes, tris, data): (&[u8], &[u8], &[u8]) = (bytemuck::cast_slice(&bvh.nodes), bytemuck::cast_slice(&bvh.triangles), bytemuck::cast_slice(tri_data));
    check_fits(ctx, &[("BVH nodes", size(nodes)), ("BVH triangles", size(tris)), ("triangle data", size(data))])?;
    scoped(ctx, "scene upload", || {
        let st = wgpu::BufferUsages::STORAGE;
        [upload(ctx, "bvh nodes", nodes, st), upload(ctx, "bvh triangles", tris, st), upload(ctx, "triangle data", data, st), upload(ctx, "materials", bytemuck::cast_slice(materials), st)]
    })
}
