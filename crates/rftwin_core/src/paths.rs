//! The [`Paths`] container returned by every path solver (structure of arrays).

use crate::Complex;
use glam::DVec3;

/// Kind of one interaction along a path. Codes follow Sionna RT's `InteractionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum InteractionType {
    /// No interaction (padding after the last one).
    #[default]
    None = 0,
    /// Specular reflection.
    Specular = 1,
    /// Diffuse reflection.
    Diffuse = 2,
    /// Transmission through a thin slab (no deflection).
    Refraction = 4,
    /// Edge diffraction.
    Diffraction = 8,
}

impl InteractionType {
    /// Lower-case name as used in JSON output (`"specular"`, `"refraction"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            InteractionType::None => "none",
            InteractionType::Specular => "specular",
            InteractionType::Diffuse => "diffuse",
            InteractionType::Refraction => "refraction",
            InteractionType::Diffraction => "diffraction",
        }
    }
}

/// Counts of work done and work dropped by a solve; nothing is dropped silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SolveStats {
    /// Rays launched from the transmitter.
    pub rays_launched: u64,
    /// Distinct candidate interaction chains found by shooting and bouncing.
    pub candidates: u64,
    /// Candidates dropped because the candidate buffer was full (`max_candidates`).
    pub dropped_candidates: u64,
    /// Candidates that the image method and visibility checks rejected.
    pub rejected_candidates: u64,
    /// Valid paths that were duplicates of another one (same vertices).
    pub duplicate_paths: u64,
    /// Diffracting wedges in the scene (0 unless diffraction is enabled).
    pub wedges: u64,
    /// Edges shared by more than two triangles of one object, left out of diffraction.
    pub non_manifold_edges: u64,
    /// Convex edges resting on another object's surface (contact edges, not diffracted).
    pub contact_edges: u64,
    /// (specular chain pair, wedge) combinations passing the geometric pre-test.
    pub diffraction_candidates: u64,
    /// Of those, rejected by visibility, the lit-region setting or a non-finite UTD
    /// coefficient (a ray grazing along the edge).
    pub rejected_diffraction_candidates: u64,
    /// Geometrically valid specular or refracted paths dropped because their coefficient
    /// is not finite (material values that overflow the slab formulas), never returned
    /// as NaN.
    pub non_finite_paths: u64,
    /// Geometrically valid paths dropped because their coefficient is exactly zero
    /// (transmission through ITU metal underflows), as Sionna RT omits them.
    pub zero_paths: u64,
    /// The closed object (index) that encloses the transmitter, if any: a likely
    /// placement error when a solve finds few or no paths.
    pub tx_inside: Option<u32>,
    /// The closed object that encloses the receiver, if any.
    pub rx_inside: Option<u32>,
    /// Ordinary paths dropped because a segment crosses a RIS (the surface occludes; a
    /// reflection on a wall under a RIS is replaced by the RIS's reradiation).
    pub ris_blocked_paths: u64,
    /// RIS element terms not formed because a leg to the element is blocked or reaches
    /// the element from behind the surface.
    pub ris_hidden_terms: u64,
}

/// One term of a RIS path: the leg into one element and the leg out of it (model a),
/// or the whole surface as an anomalous mirror (model b); in a family with a second RIS
/// interaction, the legs through one element of each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RisTerm {
    /// Element index, or [`RisTerm::SURFACE`] for a model (b) term.
    pub element: u32,
    /// Element of the second RIS interaction of a family that has one
    /// ([`RisPath::second`]), else `None`.
    pub second_element: Option<u32>,
    /// Delay of the path through the element (model a) or the surface centre \[s\].
    pub tau: f64,
    /// Coefficient without the element's reflection coefficient `Γ_m` (model a) or
    /// including the configured profile (model b); Sionna convention, no propagation phase.
    pub b: Complex,
}

impl RisTerm {
    /// Marks a model (b) term, whose coefficient already includes the profile.
    pub const SURFACE: u32 = u32::MAX;
}

/// A path family through one RIS: an incoming chain of ordinary interactions, the RIS,
/// an outgoing chain. Its channel at absolute frequency `f` is
/// `Σ_terms Γ_m b_m e^{−j2π f τ_m}` — exact per element in the near field and across
/// the band, and linear in the profile, so other configurations need no new solve.
#[derive(Debug, Clone, PartialEq)]
pub struct RisPath {
    /// Index of the RIS in the scene.
    pub ris: u32,
    /// Objects met before the RIS (transmitter side first).
    pub incoming: Vec<u32>,
    /// Objects met after the RIS (RIS side first).
    pub outgoing: Vec<u32>,
    /// Object-local triangles of the incoming interactions (one element's legs; every
    /// element of a family meets the same planes).
    pub incoming_primitives: Vec<u32>,
    /// Object-local triangles of the outgoing interactions (RIS side first).
    pub outgoing_primitives: Vec<u32>,
    /// Which incoming interactions are refractions (the others are specular reflections).
    pub incoming_refraction: Vec<bool>,
    /// Which outgoing interactions are refractions (RIS side first).
    pub outgoing_refraction: Vec<bool>,
    /// Point of the RIS interaction used for reporting (the surface centre) \[m\].
    pub vertex: DVec3,
    /// The element (or surface) terms.
    pub terms: Vec<RisTerm>,
    /// A second RIS interaction (`TX → … → RIS → middle → RIS₂ → outgoing → RX`), for
    /// solves with `max_ris_interactions = 2`; `None` for one interaction.
    pub second: Option<SecondRis>,
}

/// The second RIS interaction of a [`RisPath`] and the ordinary chain between the two.
/// `RisPath::outgoing` then lists the objects after the second RIS.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondRis {
    /// Index of the second RIS in the scene (the first one again for paths such as
    /// TX → RIS → target → RIS → RX).
    pub ris: u32,
    /// Objects met between the two RIS interactions (first RIS side first).
    pub middle: Vec<u32>,
    /// Object-local triangles of the middle interactions.
    pub middle_primitives: Vec<u32>,
    /// Which middle interactions are refractions.
    pub middle_refraction: Vec<bool>,
    /// Point of the second interaction used for reporting (the surface centre) \[m\].
    pub vertex: DVec3,
}

impl RisPath {
    /// `Γ` of term `t`: the element's coefficient (1 for a surface term, whose
    /// coefficient includes it), times the second element's in a two-RIS family.
    /// `ris_gamma` holds every RIS's coefficients, as [`Paths::ris_gamma`].
    pub fn term_gamma(&self, t: &RisTerm, ris_gamma: &[Vec<Complex>]) -> Complex {
        let first = term_gamma(&ris_gamma[self.ris as usize], t.element);
        match (&self.second, t.second_element) {
            (Some(second), Some(n)) => first * ris_gamma[second.ris as usize][n as usize],
            _ => first,
        }
    }

    /// `Σ Γ_m b_m e^{−j2π f τ_m}` (`Γ_m Γ_n` for a two-RIS family) with `ris_gamma`
    /// every RIS's per-element coefficients.
    pub fn response(&self, ris_gamma: &[Vec<Complex>], frequency_hz: f64) -> Complex {
        self.terms.iter().map(|t| t.b * self.term_gamma(t, ris_gamma) * crate::paths::propagation_phasor(frequency_hz, t.tau)).sum()
    }

    /// Whether the family meets RIS `ris` (at either of its interactions).
    pub fn meets(&self, ris: usize) -> bool {
        self.ris as usize == ris || self.second.as_ref().is_some_and(|s| s.ris as usize == ris)
    }
}

/// `Γ_m` of a term (1 for a surface term, whose coefficient includes it).
pub fn term_gamma(gamma: &[Complex], element: u32) -> Complex {
    if element == RisTerm::SURFACE {
        Complex::new(1.0, 0.0)
    } else {
        gamma[element as usize]
    }
}

/// `e^{−j2π f τ}` with the phase reduced in cycles first (exact for large `f τ`).
#[inline]
pub fn propagation_phasor(frequency_hz: f64, tau: f64) -> Complex {
    let cycles = (frequency_hz * tau).fract();
    Complex::from_polar(1.0, -2.0 * std::f64::consts::PI * cycles)
}

/// Propagation paths between one transmitter and one receiver antenna.
///
/// Per-interaction arrays have `num_paths() * max_depth` entries; path `i` owns the
/// slice `i * max_depth .. (i + 1) * max_depth`, padded with `InteractionType::None`.
/// The coefficient `a` excludes the propagation phase (Sionna RT convention): the
/// channel at frequency `f` is `Σ a_i exp(−j 2π f τ_i)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Paths {
    /// Carrier frequency \[Hz\] at which `a` was computed.
    pub frequency_hz: f64,
    /// Maximum number of interactions per path (stride of the per-interaction arrays).
    pub max_depth: usize,
    /// Delay τ = L / c \[s\].
    pub tau: Vec<f64>,
    /// Complex path coefficient `a` (dimensionless, without propagation phase).
    pub a: Vec<Complex>,
    /// Unit direction of departure at the transmitter.
    pub k_tx: Vec<DVec3>,
    /// Unit direction of arrival: from the receiver towards where the wave comes from.
    pub k_rx: Vec<DVec3>,
    /// Interaction types (stride `max_depth`).
    pub interactions: Vec<InteractionType>,
    /// Object index of each interaction (`u32::MAX` for none).
    pub objects: Vec<u32>,
    /// Object-local triangle index of each interaction (`u32::MAX` for none).
    pub primitives: Vec<u32>,
    /// Interaction points \[m\].
    pub vertices: Vec<DVec3>,
    /// Object names, indexed by the values of `objects`.
    pub object_names: Vec<String>,
    /// Work counters, including everything dropped.
    pub stats: SolveStats,
    /// Path families through a RIS (kept apart: one family holds a term per element).
    pub ris_paths: Vec<RisPath>,
    /// Per scene RIS, the element coefficients `Γ_m` the RIS paths are evaluated with
    /// (the RIS's first configuration unless [`Paths::set_ris_profile`] changed it).
    pub ris_gamma: Vec<Vec<Complex>>,
}

/// A read-only view of one path.
#[derive(Debug, Clone, Copy)]
pub struct PathRef<'a> {
    /// Delay \[s\].
    pub tau: f64,
    /// Coefficient.
    pub a: Complex,
    /// Interaction types (without padding).
    pub interactions: &'a [InteractionType],
    /// Object indices.
    pub objects: &'a [u32],
    /// Object-local primitive indices.
    pub primitives: &'a [u32],
    /// Interaction points \[m\].
    pub vertices: &'a [DVec3],
    /// Direction of departure.
    pub k_tx: DVec3,
    /// Direction of arrival (pointing away from the receiver).
    pub k_rx: DVec3,
}

impl Paths {
    /// Empty container for paths of up to `max_depth` interactions.
    pub fn new(frequency_hz: f64, max_depth: usize, object_names: Vec<String>) -> Self {
        Paths { frequency_hz, max_depth, object_names, ..Default::default() }
    }

    /// Number of paths.
    pub fn num_paths(&self) -> usize {
        self.tau.len()
    }

    /// Appends a path; its per-interaction slices must have equal length ≤ `max_depth`.
    pub fn push(&mut self, path: PathRef<'_>) {
        let PathRef { tau, a, interactions, objects, primitives, vertices, k_tx, k_rx } = path;
        debug_assert!(interactions.len() <= self.max_depth);
        debug_assert!(objects.len() == interactions.len() && primitives.len() == interactions.len());
        self.tau.push(tau);
        self.a.push(a);
        self.k_tx.push(k_tx);
        self.k_rx.push(k_rx);
        let pad = self.max_depth - interactions.len();
        self.interactions.extend_from_slice(interactions);
        self.interactions.extend(std::iter::repeat_n(InteractionType::None, pad));
        self.objects.extend_from_slice(objects);
        self.objects.extend(std::iter::repeat_n(u32::MAX, pad));
        self.primitives.extend_from_slice(primitives);
        self.primitives.extend(std::iter::repeat_n(u32::MAX, pad));
        self.vertices.extend_from_slice(vertices);
        self.vertices.extend(std::iter::repeat_n(DVec3::ZERO, pad));
    }

    /// Number of interactions of path `i`.
    pub fn depth(&self, i: usize) -> usize {
        let s = &self.interactions[i * self.max_depth..(i + 1) * self.max_depth];
        s.iter().position(|t| *t == InteractionType::None).unwrap_or(self.max_depth)
    }

    /// View of path `i`.
    pub fn path(&self, i: usize) -> PathRef<'_> {
        let start = i * self.max_depth;
        let end = start + self.depth(i);
        PathRef {
            tau: self.tau[i],
            a: self.a[i],
            interactions: &self.interactions[start..end],
            objects: &self.objects[start..end],
            primitives: &self.primitives[start..end],
            vertices: &self.vertices[start..end],
            k_tx: self.k_tx[i],
            k_rx: self.k_rx[i],
        }
    }

    /// Iterates over all paths.
    pub fn iter(&self) -> impl Iterator<Item = PathRef<'_>> {
        (0..self.num_paths()).map(move |i| self.path(i))
    }

    /// Σ |a_i|² over the ordinary paths and the RIS path families, each family taken
    /// coherently at the carrier (dimensionless received power gain).
    pub fn total_power(&self) -> f64 {
        self.a.iter().map(|a| a.norm_sqr()).sum::<f64>() + self.ris_paths.iter().map(|p| self.ris_response(p, self.frequency_hz).norm_sqr()).sum::<f64>()
    }

    /// The response of RIS path `p` at absolute frequency `f` with the current profile.
    pub fn ris_response(&self, p: &RisPath, frequency_hz: f64) -> Complex {
        p.response(&self.ris_gamma, frequency_hz)
    }

    /// Evaluates the RIS paths of RIS `ris` with coefficients `gamma` from now on.
    pub fn set_ris_profile(&mut self, ris: usize, gamma: Vec<Complex>) -> crate::error::Result<()> {
        let Some(current) = self.ris_gamma.get(ris) else {
            return Err(crate::error::Error::InvalidArgument { name: "ris", message: format!("index {ris}: the paths know {} RIS", self.ris_gamma.len()) });
        };
        if current.len() != gamma.len() {
            return Err(crate::error::Error::InvalidArgument { name: "ris profile", message: format!("{} coefficients for a RIS of {} elements", gamma.len(), current.len()) });
        }
        if let Some(m) = gamma.iter().position(|g| !(g.re.is_finite() && g.im.is_finite())) {
            return Err(crate::error::Error::InvalidArgument { name: "ris profile", message: format!("coefficient of element {m} is {}", gamma[m]) });
        }
        self.ris_gamma[ris] = gamma;
        Ok(())
    }

    /// Names of the objects path `i` interacts with.
    pub fn object_names_of(&self, i: usize) -> Vec<&str> {
        self.path(i).objects.iter().map(|&o| self.object_names.get(o as usize).map_or("?", |s| s.as_str())).collect()
    }

    /// Sorts the paths by delay (stable).
    pub fn sort_by_delay(&mut self) {
        let mut order: Vec<usize> = (0..self.num_paths()).collect();
        order.sort_by(|&i, &j| self.tau[i].total_cmp(&self.tau[j]));
        let mut out = Paths {
            stats: self.stats,
            ris_paths: std::mem::take(&mut self.ris_paths),
            ris_gamma: std::mem::take(&mut self.ris_gamma),
            ..Paths::new(self.frequency_hz, self.max_depth, std::mem::take(&mut self.object_names))
        };
        for i in order {
            out.push(self.path(i));
        }
        *self = out;
    }
}
