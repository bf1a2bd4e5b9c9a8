//! Sionna RT / Mitsuba 3 scene XML.
//!
//! Supported: `<bsdf type="itu-radio-material">` (`type`, `thickness`),
//! `<bsdf type="radio-material">` (`relative_permittivity`, `conductivity`,
//! `thickness`), either possibly wrapped in `<bsdf type="twosided">`; `<shape>` of type
//! `ply` or `obj` with a `filename`, a material by `<ref name="bsdf">` or nested
//! `<bsdf>`, and an optional `<transform name="to_world">` made of `translate`,
//! `scale`, `rotate` and `matrix`. Object names are the shape ids without `mesh-`;
//! material names the bsdf ids without `mat-` (as Sionna RT names them). Refused with
//! the reason: `<include>` (not followed), two bsdfs of the same id or material name.
//!
//! rftwin's extension (Mitsuba does not render it): a reconfigurable intelligent
//! surface as a top-level `<ris id="ris-NAME">` with `<point name="centre" x y z/>`,
//! `<vector name="normal" …/>`, `<vector name="up" …/>`, `<integer name="elements_y"/>`,
//! `<integer name="elements_z"/>`, `<float name="element_size_y"/>`,
//! `<float name="element_size_z"/>`, optionally `<float name="size_y"/>` /
//! `<float name="size_z"/>` (must equal elements × element size) and any number of
//! `<string name="phases" value="φ₀ φ₁ …"/>` configurations (radians, element order of
//! `rftwin_core::ris`; none = one all-zero configuration).

use crate::error::{Error, Result};
use crate::io::load_mesh;
use crate::material::{ItuMaterial, MaterialModel, RadioMaterial, DEFAULT_THICKNESS};
use crate::scene::Scene;
use glam::{DMat4, DVec3};
use roxmltree::Node;
use std::path::Path;

/// Loads a Sionna / Mitsuba XML scene; mesh paths are relative to the XML file.
pub fn load_xml_scene(path: &Path) -> Result<Scene> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    parse_xml_scene(&text, base, path)
}

fn perr(path: &Path, node: Option<Node>, message: String) -> Error {
    let message = match node {
        Some(n) => {
            let pos = n.document().text_pos_at(n.range().start);
            format!("line {}: {message}", pos.row)
        }
        None => message,
    };
    Error::parse(path, "XML", message)
}

fn child_value<'a>(node: Node<'a, 'a>, tag: &str, name: &str) -> Option<&'a str> {
    node.children().find(|c| c.has_tag_name(tag) && c.attribute("name") == Some(name)).and_then(|c| c.attribute("value"))
}

fn parse_f64(path: &Path, node: Node, s: &str, what: &str) -> Result<f64> {
    s.trim().parse::<f64>().map_err(|_| perr(path, Some(node), format!("{what}: '{s}' is not a number")))
}

/// A `<ris>` element (see the module documentation) as JSON for
/// [`crate::ris::RisSurface::from_json`], which validates it.
fn parse_ris(path: &Path, node: Node) -> Result<crate::ris::RisSurface> {
    let id = node.attribute("id").ok_or_else(|| perr(path, Some(node), "<ris> without id".into()))?;
    let name = id.strip_prefix("ris-").unwrap_or(id);
    let vector = |tag: &str, what: &str| -> Result<[f64; 3]> {
        let c = node
            .children()
            .find(|c| c.has_tag_name(tag) && c.attribute("name") == Some(what))
            .ok_or_else(|| perr(path, Some(node), format!("RIS '{name}' has no <{tag} name=\"{what}\">")))?;
        let coord = |a: &str| parse_f64(path, c, c.attribute(a).unwrap_or(""), &format!("RIS '{name}' {what}.{a}"));
        Ok([coord("x")?, coord("y")?, coord("z")?])
    };
    let number = |tag: &str, what: &str| -> Result<Option<f64>> {
        child_value(node, tag, what).map(|v| parse_f64(path, node, v, &format!("RIS '{name}' {what}"))).transpose()
    };
    let required = |tag: &str, what: &str| -> Result<f64> { number(tag, what)?.ok_or_else(|| perr(path, Some(node), format!("RIS '{name}' has no <{tag} name=\"{what}\">"))) };
    let count = |what: &str| -> Result<usize> {
        let v = required("integer", what)?;
        if v.fract() != 0.0 || v < 0.0 {
            return Err(perr(path, Some(node), format!("RIS '{name}' {what} = {v} is not a count")));
        }
        Ok(v as usize)
    };
    let mut configurations = Vec::new();
    for c in node.children().filter(|c| c.has_tag_name("string") && c.attribute("name") == Some("phases")) {
        let phases: Result<Vec<f64>> = c.attribute("value").unwrap_or("").split_whitespace().map(|v| parse_f64(path, c, v, &format!("RIS '{name}' phase"))).collect();
        configurations.push(crate::ris::RisProfile::from_phases(phases?));
    }
    let size = match (number("float", "size_y")?, number("float", "size_z")?) {
        (Some(y), Some(z)) => serde_json::json!([y, z]),
        (None, None) => serde_json::Value::Null,
        _ => return Err(perr(path, Some(node), format!("RIS '{name}': give both size_y and size_z or neither"))),
    };
    let json = serde_json::json!({
        "name": name,
        "centre": vector("point", "centre")?,
        "normal": vector("vector", "normal")?,
        "up": vector("vector", "up")?,
        "elements": [count("elements_y")?, count("elements_z")?],
        "element_size": [required("float", "element_size_y")?, required("float", "element_size_z")?],
        "configurations": configurations,
        "size": size,
    });
    crate::ris::RisSurface::from_json(&json.to_string()).map_err(|e| perr(path, Some(node), e.to_string()))
}

fn parse_material(path: &Path, node: Node, name: &str) -> Result<RadioMaterial> {
    let ty = node.attribute("type").unwrap_or("");
    let float = |key: &str| -> Result<Option<f64>> {
        child_value(node, "float", key).map(|v| parse_f64(path, node, v, &format!("material '{name}' {key}"))).transpose()
    };
    let material = match ty {
        "twosided" => {
            let inner = node
                .children()
                .find(|c| c.has_tag_name("bsdf"))
                .ok_or_else(|| perr(path, Some(node), format!("twosided bsdf '{name}' has no inner bsdf")))?;
            return parse_material(path, inner, name);
        }
        "itu-radio-material" => {
            let kind_name = child_value(node, "string", "type")
                .ok_or_else(|| perr(path, Some(node), format!("material '{name}' has no <string name=\"type\">")))?;
            let kind = ItuMaterial::from_name(kind_name).map_err(|e| perr(path, Some(node), format!("material '{name}': {e}")))?;
            RadioMaterial { name: name.to_string(), model: MaterialModel::Itu(kind), thickness: float("thickness")?.unwrap_or(DEFAULT_THICKNESS) }
        }
        "radio-material" => {
            let eps_r = float("relative_permittivity")?.unwrap_or(1.0);
            let sigma = float("conductivity")?.unwrap_or(0.0);
            RadioMaterial { name: name.to_string(), model: MaterialModel::Custom { eps_r, sigma }, thickness: float("thickness")?.unwrap_or(DEFAULT_THICKNESS) }
        }
        other => {
            return Err(perr(
                path,
                Some(node),
                format!("material '{name}' has bsdf type '{other}'; rftwin reads 'itu-radio-material' and 'radio-material'"),
            ))
        }
    };
    material.validate().map_err(|e| perr(path, Some(node), e.to_string()))?;
    Ok(material)
}

fn parse_vec3(path: &Path, node: Node, default: f64) -> Result<DVec3> {
    if let Some(v) = node.attribute("value") {
        let parts: Vec<&str> = v.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).collect();
        let nums: Vec<f64> = parts.iter().map(|p| parse_f64(path, node, p, "vector")).collect::<Result<_>>()?;
        return match nums.len() {
            1 => Ok(DVec3::splat(nums[0])),
            3 => Ok(DVec3::new(nums[0], nums[1], nums[2])),
            n => Err(perr(path, Some(node), format!("expected 1 or 3 numbers, got {n}"))),
        };
    }
    let get = |k: &str| node.attribute(k).map(|v| parse_f64(path, node, v, k)).transpose().map(|o| o.unwrap_or(default));
    Ok(DVec3::new(get("x")?, get("y")?, get("z")?))
}

fn parse_transform(path: &Path, node: Node) -> Result<DMat4> {
    let mut m = DMat4::IDENTITY;
    for op in node.children().filter(|c| c.is_element()) {
        let t = match op.tag_name().name() {
            "translate" => DMat4::from_translation(parse_vec3(path, op, 0.0)?),
            "scale" => DMat4::from_scale(parse_vec3(path, op, 1.0)?),
            "rotate" => {
                let axis = parse_vec3(path, op, 0.0)?;
                let angle = op.attribute("angle").map(|a| parse_f64(path, op, a, "angle")).transpose()?.unwrap_or(0.0);
                if axis.length() == 0.0 {
                    return Err(perr(path, Some(op), "rotation axis is zero".into()));
                }
                DMat4::from_axis_angle(axis.normalize(), angle.to_radians())
            }
            "matrix" => {
                let v = op.attribute("value").unwrap_or("");
                let nums: Vec<f64> = v.split_whitespace().map(|p| parse_f64(path, op, p, "matrix")).collect::<Result<_>>()?;
                if nums.len() != 16 {
                    return Err(perr(path, Some(op), format!("matrix needs 16 numbers, got {}", nums.len())));
                }
                // Mitsuba writes matrices row by row.
                DMat4::from_cols_array(&[
                    nums[0], nums[4], nums[8], nums[12], nums[1], nums[5], nums[9], nums[13], nums[2], nums[6], nums[10],
                    nums[14], nums[3], nums[7], nums[11], nums[15],
                ])
            }
            other => return Err(perr(path, Some(op), format!("unsupported transform operation '{other}'"))),
        };
        m = t * m;
    }
    Ok(m)
}

/// Parses XML text; `base` is the directory against which mesh file names resolve.
pub fn parse_xml_scene(text: &str, base: &Path, path: &Path) -> Result<Scene> {
    let doc = roxmltree::Document::parse(text).map_err(|e| perr(path, None, e.to_string()))?;
    let root = doc.root_element();
    if !root.has_tag_name("scene") {
        return Err(perr(path, Some(root), format!("root element is <{}>, expected <scene>", root.tag_name().name())));
    }
    // an <include> would silently drop the included shapes and materials
    if let Some(node) = root.descendants().find(|c| c.has_tag_name("include")) {
        let file = node.attribute("filename").unwrap_or("?");
        return Err(perr(path, Some(node), format!("<include filename=\"{file}\"> is not supported: copy the included file's <bsdf> and <shape> elements into this scene")));
    }
    let mut scene = Scene::new();
    let mut bsdf_ids = std::collections::HashMap::new();
    for node in root.children().filter(|c| c.has_tag_name("bsdf")) {
        let id = node.attribute("id").ok_or_else(|| perr(path, Some(node), "top-level bsdf without id".into()))?;
        let name = id.strip_prefix("mat-").unwrap_or(id);
        if bsdf_ids.contains_key(id) || scene.materials().iter().any(|m| m.name == name) {
            return Err(perr(path, Some(node), format!("two bsdfs define material '{name}' (id '{id}'); the second would replace the first")));
        }
        let material = parse_material(path, node, name)?;
        let index = scene.add_material(material)?;
        bsdf_ids.insert(id.to_string(), index);
    }
    for (i, node) in root.children().filter(|c| c.has_tag_name("shape")).enumerate() {
        let id = node.attribute("id").map(|s| s.to_string()).unwrap_or_else(|| format!("shape_{i}"));
        let name = id.strip_prefix("mesh-").unwrap_or(&id).to_string();
        let ty = node.attribute("type").unwrap_or("");
        if ty != "ply" && ty != "obj" {
            return Err(perr(path, Some(node), format!("shape '{name}' has type '{ty}'; rftwin reads 'ply' and 'obj' shapes")));
        }
        let file = child_value(node, "string", "filename")
            .ok_or_else(|| perr(path, Some(node), format!("shape '{name}' has no <string name=\"filename\">")))?;
        let material = if let Some(r) = node.children().find(|c| c.has_tag_name("ref")) {
            let rid = r.attribute("id").unwrap_or("");
            *bsdf_ids
                .get(rid)
                .ok_or_else(|| perr(path, Some(r), format!("shape '{name}' refers to undefined material '{rid}'")))?
        } else if let Some(b) = node.children().find(|c| c.has_tag_name("bsdf")) {
            let mname = b.attribute("id").map(|s| s.strip_prefix("mat-").unwrap_or(s).to_string()).unwrap_or_else(|| format!("{name}_material"));
            scene.add_material(parse_material(path, b, &mname)?)?
        } else {
            return Err(perr(path, Some(node), format!("shape '{name}' has no material")));
        };
        let mut mesh = load_mesh(base.join(file))?;
        if let Some(t) = node.children().find(|c| c.has_tag_name("transform")) {
            let m = parse_transform(path, t)?;
            for v in &mut mesh.vertices {
                *v = m.transform_point3(*v);
            }
        }
        let material_name = scene.materials()[material].name.clone();
        scene.add_object(&name, mesh, &material_name)?;
    }
    if scene.objects().is_empty() {
        return Err(perr(path, Some(root), "the scene has no shapes".into()));
    }
    for node in root.children().filter(|c| c.has_tag_name("ris")) {
        let ris = parse_ris(path, node)?;
        scene.add_ris(ris).map_err(|e| perr(path, Some(node), e.to_string()))?;
    }
    Ok(scene)
}
