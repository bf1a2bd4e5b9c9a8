//! Every kernel validates with naga, has its entry point and workgroup size, and every
//! host struct shared with WGSL has the offsets and size naga reflects (rerun's
//! shader_validation pattern). Needs no adapter.
#![allow(clippy::unwrap_used, clippy::type_complexity)]

use rftwin_gpu::kernels::{Kernel, ALL};
use rftwin_gpu::wgpu::naga;

fn parse(k: &Kernel) -> (naga::Module, naga::valid::ModuleInfo) {
    let module = naga::front::wgsl::parse_str(k.source).unwrap_or_else(|e| panic!("{}: {}", k.name, e.emit_to_string(k.source)));
    let info = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}: {}", k.name, e.emit_to_string(k.source)));
    (module, info)
}

#[test]
fn kernel_list_is_not_empty_and_every_kernel_validates() {
    // A validation test over nothing would pass on nothing.
    assert!(!ALL.is_empty());
    for k in ALL {
        let (module, info) = parse(k);
        let ep = module.entry_points.iter().find(|e| e.name == k.entry_point).unwrap_or_else(|| panic!("{}: no entry point {}", k.name, k.entry_point));
        assert_eq!(ep.stage, naga::ShaderStage::Compute);
        // resolve the WORKGROUP_SIZE override to its default and check the size
        let (resolved, _) = naga::back::pipeline_constants::process_overrides(&module, &info, Some((naga::ShaderStage::Compute, k.entry_point)), &naga::back::PipelineConstants::default()).unwrap();
        let ep = resolved.entry_points.iter().find(|e| e.name == k.entry_point).unwrap();
        assert_eq!(ep.workgroup_size, [k.workgroup_size, 1, 1], "{}", k.name);
    }
}

fn struct_layout(module: &naga::Module, name: &str) -> (u32, Vec<(String, u32)>) {
    let ty = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no WGSL struct {name}")).1;
    match &ty.inner {
        naga::TypeInner::Struct { members, span } => (*span, members.iter().map(|m| (m.name.clone().unwrap_or_default(), m.offset)).collect()),
        other => panic!("{name} is not a struct: {other:?}"),
    }
}

#[test]
fn host_structs_match_their_wgsl_twins() {
    use rftwin_bvh::{BvhNode, BvhTriangle};
    use rftwin_gpu::layout::{GpuHit, GpuRay};
    use std::mem::{offset_of, size_of};
    let (module, _) = parse(&ALL[0]);
    let cases: Vec<(&str, usize, Vec<(&str, usize)>)> = vec![
        ("BvhNode", size_of::<BvhNode>(), vec![("min", offset_of!(BvhNode, min)), ("left_or_first", offset_of!(BvhNode, left_or_first)), ("max", offset_of!(BvhNode, max)), ("count", offset_of!(BvhNode, count))]),
        ("BvhTriangle", size_of::<BvhTriangle>(), vec![("v0", offset_of!(BvhTriangle, v0)), ("id", offset_of!(BvhTriangle, id)), ("e1", offset_of!(BvhTriangle, e1)), ("e2", offset_of!(BvhTriangle, e2))]),
        ("GpuRay", size_of::<GpuRay>(), vec![("origin", offset_of!(GpuRay, origin)), ("t_min", offset_of!(GpuRay, t_min)), ("dir", offset_of!(GpuRay, dir)), ("t_max", offset_of!(GpuRay, t_max))]),
        ("GpuHit", size_of::<GpuHit>(), vec![("t", offset_of!(GpuHit, t)), ("triangle", offset_of!(GpuHit, triangle)), ("u", offset_of!(GpuHit, u)), ("v", offset_of!(GpuHit, v))]),
    ];
    let (sbr, _) = parse(&rftwin_gpu::kernels::SBR_CANDIDATES);
    use rftwin_gpu::sbr::{SbrParams, SlabMaterial, TriInfo};
    let sbr_cases: Vec<(&str, usize, Vec<(&str, usize)>)> = vec![
        ("TriInfo", size_of::<TriInfo>(), vec![("normal", offset_of!(TriInfo, normal)), ("plane", offset_of!(TriInfo, plane)), ("material", offset_of!(TriInfo, material))]),
        ("SlabMaterial", size_of::<SlabMaterial>(), vec![("eta", offset_of!(SlabMaterial, eta)), ("thickness", offset_of!(SlabMaterial, thickness))]),
        (
            "SbrParams",
            size_of::<SbrParams>(),
            vec![
                ("source", offset_of!(SbrParams, source)),
                ("samples", offset_of!(SbrParams, samples)),
                ("first_sample", offset_of!(SbrParams, first_sample)),
                ("count", offset_of!(SbrParams, count)),
                ("max_depth", offset_of!(SbrParams, max_depth)),
                ("flags", offset_of!(SbrParams, flags)),
                ("seed", offset_of!(SbrParams, seed)),
                ("wavelength", offset_of!(SbrParams, wavelength)),
                ("t_min", offset_of!(SbrParams, t_min)),
            ],
        ),
    ];
    let (mlp, _) = parse(&rftwin_gpu::kernels::MLP_GEMM);
    use rftwin_gpu::mlp::MlpParams;
    let names = ["m", "n", "k", "trans_a", "trans_b", "lda", "ldb", "ldc", "count", "rows", "kappa", "relu"];
    let (span, members) = struct_layout(&mlp, "MlpParams");
    assert_eq!(span as usize, size_of::<MlpParams>(), "MlpParams size");
    // twelve 4-byte scalars in declaration order on both sides
    let host = [offset_of!(MlpParams, m), offset_of!(MlpParams, n), offset_of!(MlpParams, k), offset_of!(MlpParams, trans_a), offset_of!(MlpParams, trans_b), offset_of!(MlpParams, lda), offset_of!(MlpParams, ldb), offset_of!(MlpParams, ldc), offset_of!(MlpParams, count), offset_of!(MlpParams, rows), offset_of!(MlpParams, kappa), offset_of!(MlpParams, relu)];
    assert_eq!(members.len(), names.len(), "MlpParams members");
    for ((name, offset), (want, host)) in members.iter().zip(names.iter().zip(host)) {
        assert_eq!((name.as_str(), *offset as usize), (*want, host), "MlpParams.{want}");
    }
    let (field, _) = parse(&rftwin_gpu::kernels::PATH_FIELD);
    use rftwin_gpu::field::{FieldAntenna, FieldInteractionGpu, FieldParams, FieldPath};
    let field_cases: Vec<(&str, usize, Vec<(&str, usize)>)> = vec![
        ("FieldPath", size_of::<FieldPath>(), vec![("first_point", offset_of!(FieldPath, first_point)), ("first_interaction", offset_of!(FieldPath, first_interaction)), ("interactions", offset_of!(FieldPath, interactions))]),
        (
            "FieldInteraction",
            size_of::<FieldInteractionGpu>(),
            vec![
                ("normal", offset_of!(FieldInteractionGpu, normal)),
                ("kind", offset_of!(FieldInteractionGpu, kind)),
                ("eta", offset_of!(FieldInteractionGpu, eta)),
                ("thickness", offset_of!(FieldInteractionGpu, thickness)),
                ("wedge_n", offset_of!(FieldInteractionGpu, wedge_n)),
                ("edge", offset_of!(FieldInteractionGpu, edge)),
                ("normal_n", offset_of!(FieldInteractionGpu, normal_n)),
            ],
        ),
        (
            "FieldAntenna",
            size_of::<FieldAntenna>(),
            vec![("col0", offset_of!(FieldAntenna, col0)), ("pattern", offset_of!(FieldAntenna, pattern)), ("col1", offset_of!(FieldAntenna, col1)), ("slant", offset_of!(FieldAntenna, slant)), ("col2", offset_of!(FieldAntenna, col2))],
        ),
        ("FieldParams", size_of::<FieldParams>(), vec![("tx", offset_of!(FieldParams, tx)), ("rx", offset_of!(FieldParams, rx)), ("wavelength", offset_of!(FieldParams, wavelength)), ("count", offset_of!(FieldParams, count))]),
    ];
    let (dedup, _) = parse(&rftwin_gpu::kernels::CHAIN_DEDUP_INSERT);
    use rftwin_gpu::sbr::DedupParams;
    let dedup_cases: Vec<(&str, usize, Vec<(&str, usize)>)> = vec![(
        "DedupParams",
        size_of::<DedupParams>(),
        vec![
            ("count", offset_of!(DedupParams, count)),
            ("max_depth", offset_of!(DedupParams, max_depth)),
            ("dispatch_index", offset_of!(DedupParams, dispatch_index)),
            ("slot_mask", offset_of!(DedupParams, slot_mask)),
            ("key_mask", offset_of!(DedupParams, key_mask)),
            ("capacity", offset_of!(DedupParams, capacity)),
            ("overflow_capacity", offset_of!(DedupParams, overflow_capacity)),
            ("max_probes", offset_of!(DedupParams, max_probes)),
        ],
    )];
    let (scatter, _) = parse(&rftwin_gpu::kernels::SCATTER_SAMPLES);
    use rftwin_gpu::scatter::{ScatterParams, ScatterRecord, ScatterTri};
    let scatter_cases: Vec<(&str, usize, Vec<(&str, usize)>)> = vec![
        ("ScatterTri", size_of::<ScatterTri>(), vec![("normal", offset_of!(ScatterTri, normal)), ("material", offset_of!(ScatterTri, material)), ("is_target", offset_of!(ScatterTri, is_target))]),
        (
            "ScatterParams",
            size_of::<ScatterParams>(),
            vec![
                ("center", offset_of!(ScatterParams, center)),
                ("samples", offset_of!(ScatterParams, samples)),
                ("axis", offset_of!(ScatterParams, axis)),
                ("first_sample", offset_of!(ScatterParams, first_sample)),
                ("t1", offset_of!(ScatterParams, t1)),
                ("count", offset_of!(ScatterParams, count)),
                ("t2", offset_of!(ScatterParams, t2)),
                ("seed", offset_of!(ScatterParams, seed)),
                ("one_minus_cos_max", offset_of!(ScatterParams, one_minus_cos_max)),
                ("pdf_omega", offset_of!(ScatterParams, pdf_omega)),
                ("wavelength", offset_of!(ScatterParams, wavelength)),
                ("diffuse", offset_of!(ScatterParams, diffuse)),
                ("eps", offset_of!(ScatterParams, eps)),
                ("n_elements", offset_of!(ScatterParams, n_elements)),
                ("second_bounce", offset_of!(ScatterParams, second_bounce)),
            ],
        ),
        (
            "ScatterRecord",
            size_of::<ScatterRecord>(),
            vec![
                ("point", offset_of!(ScatterRecord, point)),
                ("triangle", offset_of!(ScatterRecord, triangle)),
                ("bary", offset_of!(ScatterRecord, bary)),
                ("area_weight", offset_of!(ScatterRecord, area_weight)),
                ("amplitude", offset_of!(ScatterRecord, amplitude)),
                ("point2", offset_of!(ScatterRecord, point2)),
                ("triangle2", offset_of!(ScatterRecord, triangle2)),
                ("extra_path", offset_of!(ScatterRecord, extra_path)),
                ("amplitude2", offset_of!(ScatterRecord, amplitude2)),
                ("outcome", offset_of!(ScatterRecord, outcome)),
            ],
        ),
        ("SlabMaterial", size_of::<SlabMaterial>(), vec![("eta", offset_of!(SlabMaterial, eta)), ("thickness", offset_of!(SlabMaterial, thickness))]),
    ];
    let (surr, _) = parse(&rftwin_gpu::kernels::SURROGATE_FIELD);
    use rftwin_gpu::surrogate::{GpuEchoGrad, GpuSurrogateEcho, SurrogateParams};
    let surrogate_cases: Vec<(&str, usize, Vec<(&str, usize)>)> = vec![
        ("SurrogateEcho", size_of::<GpuSurrogateEcho>(), vec![("direction", offset_of!(GpuSurrogateEcho, direction)), ("range", offset_of!(GpuSurrogateEcho, range)), ("weight", offset_of!(GpuSurrogateEcho, weight))]),
        ("EchoGrad", size_of::<GpuEchoGrad>(), vec![("direction", offset_of!(GpuEchoGrad, direction)), ("range", offset_of!(GpuEchoGrad, range)), ("weight", offset_of!(GpuEchoGrad, weight))]),
        (
            "SurrogateParams",
            size_of::<SurrogateParams>(),
            vec![
                ("n_echoes", offset_of!(SurrogateParams, n_echoes)),
                ("n_bins", offset_of!(SurrogateParams, n_bins)),
                ("n_dirs", offset_of!(SurrogateParams, n_dirs)),
                ("normalized", offset_of!(SurrogateParams, normalized)),
                ("sigma", offset_of!(SurrogateParams, sigma)),
                ("kr", offset_of!(SurrogateParams, kr)),
                ("airy", offset_of!(SurrogateParams, airy)),
            ],
        ),
    ];
    let (ris_vjp, _) = parse(&rftwin_gpu::kernels::RIS_PHASE_VJP);
    use rftwin_gpu::field::{RisTermGpu, RisVjpParams};
    let ris_cases: Vec<(&str, usize, Vec<(&str, usize)>)> = vec![
        ("RisTerm", size_of::<RisTermGpu>(), vec![("b", offset_of!(RisTermGpu, b)), ("gamma", offset_of!(RisTermGpu, gamma)), ("dtau", offset_of!(RisTermGpu, dtau))]),
        ("VjpParams", size_of::<RisVjpParams>(), vec![("terms", offset_of!(RisVjpParams, terms)), ("frequencies", offset_of!(RisVjpParams, frequencies))]),
    ];
    let (boundary, _) = parse(&rftwin_gpu::kernels::BOUNDARY_RATES);
    use rftwin_gpu::boundary::{BoundaryParams, BoundaryPoint};
    let boundary_cases: Vec<(&str, usize, Vec<(&str, usize)>)> = vec![
        (
            "BoundaryPoint",
            size_of::<BoundaryPoint>(),
            vec![
                ("e0", offset_of!(BoundaryPoint, e0)),
                ("lam", offset_of!(BoundaryPoint, lam)),
                ("e1", offset_of!(BoundaryPoint, e1)),
                ("side", offset_of!(BoundaryPoint, side)),
                ("v0", offset_of!(BoundaryPoint, v0)),
                ("v1", offset_of!(BoundaryPoint, v1)),
                ("v2", offset_of!(BoundaryPoint, v2)),
            ],
        ),
        ("BoundaryParams", size_of::<BoundaryParams>(), vec![("count", offset_of!(BoundaryParams, count))]),
    ];
    let all = cases
        .into_iter()
        .map(|c| (&module, c))
        .chain(boundary_cases.into_iter().map(|c| (&boundary, c)))
        .chain(ris_cases.into_iter().map(|c| (&ris_vjp, c)))
        .chain(scatter_cases.into_iter().map(|c| (&scatter, c)))
        .chain(surrogate_cases.into_iter().map(|c| (&surr, c)))
        .chain(dedup_cases.into_iter().map(|c| (&dedup, c)))
        .chain(sbr_cases.into_iter().map(|c| (&sbr, c)))
        .chain(field_cases.into_iter().map(|c| (&field, c)));
    for (module, (name, size, fields)) in all {
        let (span, members) = struct_layout(module, name);
        assert_eq!(span as usize, size, "{name}: WGSL size {span}, host size {size}");
        for (field, offset) in fields {
            let m = members.iter().find(|m| m.0 == field).unwrap_or_else(|| panic!("{name}.{field} missing in WGSL"));
            assert_eq!(m.1 as usize, offset, "{name}.{field}: WGSL offset {}, host offset {offset}", m.1);
        }
    }
}
