//! Scene and mesh loaders: good files load, bad files give errors naming the problem.
#![allow(clippy::unwrap_used)]

use rftwin_core::io::{load_mesh, load_scene};
use std::path::{Path, PathBuf};

struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("rftwin_io_{tag}_{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn err_of<T: std::fmt::Debug>(r: rftwin_core::Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

const CUBE_OBJ: &str = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n";

#[test]
fn obj_quads_are_triangulated() {
    let d = TempDir::new("obj");
    let m = load_mesh(d.write("q.obj", CUBE_OBJ.as_bytes())).unwrap();
    assert_eq!(m.triangles.len(), 2);
    assert_eq!(m.vertices.len(), 4);
}

#[test]
fn ascii_and_binary_ply_give_the_same_mesh() {
    let d = TempDir::new("ply");
    let ascii = "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n";
    let a = load_mesh(d.write("a.ply", ascii.as_bytes())).unwrap();
    let mut bin = b"ply\nformat binary_little_endian 1.0\nelement vertex 4\nproperty double x\nproperty double y\nproperty double z\nelement face 1\nproperty list uchar uint vertex_indices\nend_header\n".to_vec();
    for v in [[0.0f64, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]] {
        for c in v {
            bin.extend_from_slice(&c.to_le_bytes());
        }
    }
    bin.push(4);
    for i in 0u32..4 {
        bin.extend_from_slice(&i.to_le_bytes());
    }
    let b = load_mesh(d.write("b.ply", &bin)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.triangles, vec![[0, 1, 2], [0, 2, 3]]);
}

#[test]
fn sionna_binary_ply_loads() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/sionna/canyon/meshes/box_a.ply");
    assert!(p.exists(), "reference mesh missing: {}", p.display());
    let m = load_mesh(&p).unwrap();
    assert_eq!(m.triangles.len(), 12);
    let (lo, hi) = m.bounds().unwrap();
    assert_eq!((lo.x, lo.y, lo.z, hi.x, hi.y, hi.z), (-15.0, 8.0, 0.0, 15.0, 18.0, 12.0));
}

#[test]
fn bad_meshes_are_errors_naming_file_and_problem() {
    let d = TempDir::new("bad");
    let e = err_of(load_mesh(d.0.join("missing.obj")));
    assert!(e.contains("missing.obj") && e.contains("cannot read"), "{e}");
    let e = err_of(load_mesh(d.write("nan.obj", b"v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n")));
    assert!(e.contains("nan.obj") && e.contains("not finite"), "{e}");
    let e = err_of(load_mesh(d.write("inf.obj", b"v 0 0 0\nv inf 0 0\nv 0 1 0\nf 1 2 3\n")));
    assert!(e.contains("not finite"), "{e}");
    let e = err_of(load_mesh(d.write("idx.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n")));
    assert!(e.contains("idx.obj"), "{e}");
    let e = err_of(load_mesh(d.write("empty.obj", b"# nothing\n")));
    assert!(e.contains("no triangles"), "{e}");
    let e = err_of(load_mesh(d.write("junk.ply", b"this is not a ply file\n")));
    assert!(e.contains("junk.ply") && e.contains("PLY"), "{e}");
    let bad_idx = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n";
    let e = err_of(load_mesh(d.write("idx.ply", bad_idx.as_bytes())));
    assert!(e.contains("face 0") && e.contains("vertex 7"), "{e}");
    let e = err_of(load_mesh(d.write("x.stl", b"solid")));
    assert!(e.contains(".stl"), "{e}");
}

fn xml_scene(d: &TempDir, body: &str) -> PathBuf {
    d.write("tri.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n");
    d.write("scene.xml", format!("<scene version=\"2.1.0\">{body}</scene>").as_bytes())
}

#[test]
fn xml_scenes_load_with_sionna_names() {
    let d = TempDir::new("xml");
    let p = xml_scene(
        &d,
        r#"<bsdf type="itu-radio-material" id="mat-itu_glass"><string name="type" value="glass"/><float name="thickness" value="0.02"/></bsdf>
           <bsdf type="twosided" id="mat-custom"><bsdf type="radio-material"><float name="relative_permittivity" value="3.5"/><float name="conductivity" value="0.01"/></bsdf></bsdf>
           <shape type="obj" id="mesh-window"><string name="filename" value="tri.obj"/><ref id="mat-itu_glass" name="bsdf"/></shape>
           <shape type="obj" id="mesh-panel"><string name="filename" value="tri.obj"/><ref id="mat-custom" name="bsdf"/>
              <transform name="to_world"><translate x="1" y="2" z="3"/></transform></shape>"#,
    );
    let s = load_scene(&p).unwrap();
    assert_eq!(s.objects()[0].name, "window");
    assert_eq!(s.materials()[s.objects()[0].material].name, "itu_glass");
    assert_eq!(s.materials()[s.objects()[0].material].thickness, 0.02);
    assert_eq!(s.materials()[s.objects()[1].material].eps_r_sigma(1e9).unwrap(), (3.5, 0.01));
    assert_eq!(s.objects()[1].mesh.vertices[0], glam::DVec3::new(1.0, 2.0, 3.0));
}

#[test]
fn bad_xml_scenes_are_errors_naming_the_problem() {
    let d = TempDir::new("badxml");
    let shape = |mat: &str| format!(r#"<shape type="obj" id="mesh-w"><string name="filename" value="tri.obj"/><ref id="{mat}" name="bsdf"/></shape>"#);
    let e = err_of(load_scene(xml_scene(&d, "<bsdf")));
    assert!(e.contains("scene.xml") && e.contains("XML"), "{e}");
    let e = err_of(load_scene(xml_scene(&d, &shape("mat-nope"))));
    assert!(e.contains("'w'") && e.contains("mat-nope"), "{e}");
    let e = err_of(load_scene(xml_scene(
        &d,
        &format!(r#"<bsdf type="itu-radio-material" id="m"><string name="type" value="unobtainium"/></bsdf>{}"#, shape("m")),
    )));
    assert!(e.contains("unobtainium"), "{e}");
    let e = err_of(load_scene(xml_scene(
        &d,
        &format!(r#"<bsdf type="radio-material" id="m"><float name="relative_permittivity" value="0.5"/></bsdf>{}"#, shape("m")),
    )));
    assert!(e.contains("in [1, ") && e.contains("'m'"), "{e}");
    let e = err_of(load_scene(xml_scene(
        &d,
        &format!(r#"<bsdf type="radio-material" id="m"><float name="conductivity" value="-2"/></bsdf>{}"#, shape("m")),
    )));
    assert!(e.contains("conductivity"), "{e}");
    let e = err_of(load_scene(xml_scene(&d, r#"<bsdf type="diffuse" id="m"/>"#)));
    assert!(e.contains("diffuse"), "{e}");
    let e = err_of(load_scene(xml_scene(
        &d,
        r#"<bsdf type="itu-radio-material" id="m"><string name="type" value="wood"/></bsdf><shape type="obj" id="mesh-w"><string name="filename" value="gone.obj"/><ref id="m" name="bsdf"/></shape>"#,
    )));
    assert!(e.contains("gone.obj"), "{e}");
}

#[test]
fn json_scenes_load_and_report_errors() {
    let d = TempDir::new("json");
    d.write("tri.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n");
    let good = r#"{ "materials": [ { "name": "g", "eps_r": 6.0, "sigma": 0.1, "thickness": 0.01 } ],
      "objects": [
        { "name": "ground", "material": "itu_concrete", "mesh": { "quad_xy": { "x": [-5, 5], "y": [-5, 5], "z": 0 } } },
        { "name": "box", "material": "itu_metal", "mesh": { "cuboid": { "min": [0,0,0], "max": [1,1,1] } }, "translation": [0, 0, 2] },
        { "name": "file", "material": "g", "mesh": { "file": "tri.obj" } },
        { "name": "tri", "material": "itu_wood", "mesh": { "triangles": { "vertices": [[0,0,0],[1,0,0],[0,1,0]], "indices": [[0,1,2]] } } } ] }"#;
    let s = load_scene(d.write("s.json", good.as_bytes())).unwrap();
    assert_eq!(s.objects().len(), 4);
    assert_eq!(s.object("box").unwrap().mesh.bounds().unwrap().0.z, 2.0);
    let bad = |body: &str| err_of(load_scene(d.write("b.json", body.as_bytes())));
    let e = bad(r#"{ "objects": [ { "name": "x", "material": "itu_metal", "mesh": { "triangles": { "vertices": [[0,0,0]], "indices": [[0,1,2]] } } } ] }"#);
    assert!(e.contains("'x'") && e.contains("out of range"), "{e}");
    let e = bad(r#"{ "objects": [ { "name": "x", "material": "plutonium", "mesh": { "cuboid": { "min": [0,0,0], "max": [1,1,1] } } } ] }"#);
    assert!(e.contains("plutonium") && e.contains("'x'"), "{e}");
    let e = bad(r#"{ "objects": [ { "name": "x", "material": "itu_metal", "mesh": { "cube": 1 } } ] }"#);
    assert!(e.contains("b.json") && e.contains("cube"), "{e}");
    let e = bad(r#"{ "materials": [ { "name": "m", "eps_r": 0.2 } ], "objects": [] }"#);
    assert!(e.contains("in [1, "), "{e}");
    let e = bad("{ not json");
    assert!(e.contains("JSON") && e.contains("line 1"), "{e}");
}
