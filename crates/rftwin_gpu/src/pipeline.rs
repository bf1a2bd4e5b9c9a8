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
