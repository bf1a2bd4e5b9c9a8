//! Scenes: named objects (meshes with one material each), materials and radio devices.

use crate::antenna::Antenna;
use crate::error::{Error, Result};
use crate::dual::Real;
use crate::material::{complex_permittivity, ItuMaterial, RadioMaterial, SlabComponent};
use crate::Complex;
use crate::mesh::Mesh;
use glam::DVec3;

/// A named mesh with one radio material.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneObject {
    /// Name, unique in the scene (Sionna's shape id without `mesh-`).
    pub name: String,
    /// Geometry \[m\].
    pub mesh: Mesh,
    /// Index into [`Scene::materials`].
    pub material: usize,
}

/// A transmitter or receiver: position and antenna.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Radio {
    /// Position of the antenna's phase centre \[m\].
    pub position: DVec3,
    /// Antenna.
    pub antenna: Antenna,
}

impl Radio {
    /// A radio at `position` with an isotropic, vertically polarised antenna.
    pub fn isotropic(position: DVec3) -> Self {
        Radio { position, antenna: Antenna::default() }
    }
}

/// Geometry and materials of an environment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scene {
    objects: Vec<SceneObject>,
    materials: Vec<RadioMaterial>,
    ris: Vec<crate::ris::RisSurface>,
}

impl Scene {
    /// An empty scene.
    pub fn new() -> Self {
        Self::default()
    }

    /// The objects, in insertion order (object index = position here).
    pub fn objects(&self) -> &[SceneObject] {
        &self.objects
    }

    /// The materials (material index = position here).
    pub fn materials(&self) -> &[RadioMaterial] {
        &self.materials
    }

    /// Total number of triangles.
    pub fn num_triangles(&self) -> usize {
        self.objects.iter().map(|o| o.mesh.triangles.len()).sum()
    }

    /// Adds a material (validated). A material of the same name is replaced.
    pub fn add_material(&mut self, material: RadioMaterial) -> Result<usize> {
        material.validate()?;
        if let Some(i) = self.materials.iter().position(|m| m.name == material.name) {
            self.materials[i] = material;
            return Ok(i);
        }
        self.materials.push(material);
        Ok(self.materials.len() - 1)
    }

    /// Index of the material `name`. Names of the ITU table (`itu_concrete`,
    /// `concrete`) not yet in the scene are added with the default thickness.
    pub fn material_index(&mut self, name: &str) -> Result<usize> {
        if let Some(i) = self.materials.iter().position(|m| m.name == name) {
            return Ok(i);
        }
        match ItuMaterial::from_name(name) {
            Ok(kind) => {
                let mut m = RadioMaterial::itu(kind);
                m.name = name.to_string();
                self.add_material(m)
            }
            Err(Error::UnknownMaterial { known, .. }) => {
                let defined: Vec<&str> = self.materials.iter().map(|m| m.name.as_str()).collect();
                Err(Error::UnknownMaterial {
                    name: name.to_string(),
                    context: String::new(),
                    known: if defined.is_empty() { known } else { format!("{known}; defined in the scene: {}", defined.join(", ")) },
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Adds an object whose mesh is validated; `material` is a material name (see
    /// [`Scene::material_index`]). Returns the object index.
    pub fn add_object(&mut self, name: &str, mesh: Mesh, material: &str) -> Result<usize> {
        mesh.validate(name)?;
        if self.objects.iter().any(|o| o.name == name) {
            return Err(Error::InvalidScene(format!("two objects are named '{name}'")));
        }
        let material = self.material_index(material).map_err(|e| match e {
            Error::UnknownMaterial { name: m, known, .. } => {
                Error::UnknownMaterial { name: m, context: format!(" for object '{name}'"), known }
            }
            e => e,
        })?;
        self.objects.push(SceneObject { name: name.to_string(), mesh, material });
        Ok(self.objects.len() - 1)
    }

    /// The first object whose closed mesh encloses `p` ([`Mesh::contains_point`]), if any:
    /// a radio placed there sees only paths through that object's walls.
    pub fn enclosing_object(&self, p: DVec3) -> Option<usize> {
        self.objects.iter().position(|o| o.mesh.contains_point(p) == Some(true))
    }

    /// Removes exactly repeated triangles within each object ([`Mesh::duplicate_triangles`]):
    /// a copy adds a second coincident surface (a doubled transmission loss) and makes
    /// every ray that reaches it test every copy. Returns `(object, triangles removed)`
    /// for each object that had any.
    pub fn drop_duplicate_triangles(&mut self) -> Vec<(String, usize)> {
        self.objects.iter_mut().filter_map(|o| {
            let n = o.mesh.drop_duplicate_triangles();
            (n > 0).then(|| (o.name.clone(), n))
        }).collect()
    }

    /// The reconfigurable intelligent surfaces (RIS index = position here).
    pub fn ris(&self) -> &[crate::ris::RisSurface] {
        &self.ris
    }

    /// Adds a RIS (validated; names are unique among RIS and objects). Returns its index.
    pub fn add_ris(&mut self, ris: crate::ris::RisSurface) -> Result<usize> {
        ris.validate()?;
        if self.ris.iter().any(|r| r.name == ris.name) || self.objects.iter().any(|o| o.name == ris.name) {
            return Err(Error::InvalidScene(format!("two objects or RIS are named '{}'", ris.name)));
        }
        self.ris.push(ris);
        Ok(self.ris.len() - 1)
    }

    /// The RIS called `name`, mutable (its configurations, model or pose); callers
    /// re-validate with [`crate::ris::RisSurface::validate`] (the solver does).
    pub fn ris_mut(&mut self, name: &str) -> Result<&mut crate::ris::RisSurface> {
        let names: Vec<String> = self.ris.iter().map(|r| r.name.clone()).collect();
        self.ris.iter_mut().find(|r| r.name == name).ok_or_else(|| Error::InvalidScene(format!("no RIS named '{name}' (RIS: {})", names.join(", "))))
    }

    /// Index of the object called `name`.
    pub fn object_index(&self, name: &str) -> Result<usize> {
        self.objects.iter().position(|o| o.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.objects.iter().take(20).map(|o| o.name.as_str()).collect();
            Error::InvalidScene(format!("no object named '{name}' (objects: {}{})", names.join(", "), if self.objects.len() > 20 { ", ..." } else { "" }))
        })
    }

    /// Index of the material called `name` (read-only: unlike [`Scene::material_index`],
    /// ITU names are not added on demand).
    pub fn find_material(&self, name: &str) -> Result<usize> {
        self.materials.iter().position(|m| m.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.materials.iter().map(|m| m.name.as_str()).collect();
            Error::InvalidScene(format!("no material named '{name}' (materials: {})", names.join(", ")))
        })
    }

    /// The slab model `(η, d)` of every material at `frequency_hz`, in material order:
    /// complex relative permittivity ([`crate::material::complex_permittivity`]) and
    /// thickness. The table every solver indexes by a triangle's material id.
    pub fn slab_table(&self, frequency_hz: f64) -> Result<Vec<(Complex, f64)>> {
        self.slab_table_with(frequency_hz, |_, _, v| v)
    }

    /// [`Scene::slab_table`] over any [`Real`]: `lift(material, component, value)` turns
    /// each `εr`, `σ` and `d` into a `T` (a constant, or a dual-number variable for the
    /// one being differentiated).
    pub fn slab_table_with<T: Real>(&self, frequency_hz: f64, lift: impl Fn(usize, SlabComponent, f64) -> T) -> Result<Vec<(num_complex::Complex<T>, T)>> {
        self.materials
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let (eps_r, sigma) = m.eps_r_sigma(frequency_hz)?;
                let eta = complex_permittivity(lift(i, SlabComponent::EpsR, eps_r), lift(i, SlabComponent::Sigma, sigma), frequency_hz);
                Ok((eta, lift(i, SlabComponent::Thickness, m.thickness)))
            })
            .collect()
    }

    /// The object called `name`.
    pub fn object(&self, name: &str) -> Result<&SceneObject> {
        Ok(&self.objects[self.object_index(name)?])
    }

    /// Mutable access to an object's mesh, e.g. to move vertices.
    pub fn object_mut(&mut self, name: &str) -> Result<&mut SceneObject> {
        let i = self.object_index(name)?;
        Ok(&mut self.objects[i])
    }

    /// Moves an object by `offset` \[m\].
    pub fn translate_object(&mut self, name: &str, offset: DVec3) -> Result<()> {
        if !offset.is_finite() {
            return Err(Error::InvalidArgument { name: "offset", message: format!("translation must be finite, got {offset}") });
        }
        self.object_mut(name)?.mesh.translate(offset);
        Ok(())
    }

    /// Sets the material of object `name` (by material name).
    pub fn set_object_material(&mut self, name: &str, material: &str) -> Result<()> {
        let m = self.material_index(material)?;
        self.object_mut(name)?.material = m;
        Ok(())
    }

    /// The built-in street-canyon scene of `reference/sionna/canyon`: a 100 m × 100 m
    /// concrete ground, `box_a` (x ∈ [−15, 15], y ∈ [8, 18], z ∈ [0, 12]) of
    /// `box_a_material` and a concrete `box_b` (y ∈ [−20, −10], z ∈ [0, 15]); all
    /// slabs 0.1 m thick.
    pub fn canyon(box_a_material: ItuMaterial) -> Self {
        let mut s = Scene::new();
        let concrete = RadioMaterial::itu(ItuMaterial::Concrete);
        let box_a_mat = RadioMaterial::itu(box_a_material);
        let (c, a) = (concrete.name.clone(), box_a_mat.name.clone());
        // Built from constants that satisfy every check, so these cannot fail.
        let _ = s.add_material(concrete);
        let _ = s.add_material(box_a_mat);
        let objects = [
            ("ground", Mesh::quad_xy(-50.0, 50.0, -50.0, 50.0, 0.0), &c),
            ("box_a", Mesh::cuboid(DVec3::new(-15.0, 8.0, 0.0), DVec3::new(15.0, 18.0, 12.0)), &a),
            ("box_b", Mesh::cuboid(DVec3::new(-15.0, -20.0, 0.0), DVec3::new(15.0, -10.0, 15.0)), &c),
        ];
        for (name, mesh, mat) in objects {
            let _ = s.add_object(name, mesh, mat);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canyon_has_three_objects_and_two_materials() {
        let s = Scene::canyon(ItuMaterial::Metal);
        assert_eq!(s.objects().len(), 3);
        assert_eq!(s.num_triangles(), 26);
        assert_eq!(s.materials()[s.object("box_a").unwrap().material].name, "itu_metal");
    }

    #[test]
    fn unknown_material_names_the_object() {
        let mut s = Scene::new();
        let e = s.add_object("wall", Mesh::quad_xy(0.0, 1.0, 0.0, 1.0, 0.0), "kryptonite").unwrap_err().to_string();
        assert!(e.contains("kryptonite") && e.contains("'wall'"), "{e}");
        assert!(s.translate_object("nope", DVec3::X).unwrap_err().to_string().contains("nope"));
    }
}
