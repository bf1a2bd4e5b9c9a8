//! Read-only arrays of plain data backed by huge pages where the OS offers them.
//!
//! Incoherent rays touch nodes and triangles all over the tree; with 4 KiB pages the
//! TLB misses cost as much as the arithmetic. Large arrays are therefore copied into an
//! anonymous mapping advised `MADV_HUGEPAGE` (Linux transparent huge pages, as Embree's
//! allocator does); elsewhere, or if mapping fails, they stay in a `Vec`.

use bytemuck::Pod;
use std::marker::PhantomData;
use std::ops::Deref;

/// Arrays smaller than this stay in a `Vec`.
const HUGE_THRESHOLD: usize = 1 << 21;

enum Storage<T> {
    Heap(Vec<T>),
    Mapped(memmap2::MmapMut),
}

/// An immutable array of `T`, possibly on huge pages.
pub struct PodBuffer<T: Pod> {
    storage: Storage<T>,
    len: usize,
    _marker: PhantomData<T>,
}

impl<T: Pod> PodBuffer<T> {
    /// Takes `v`, moving it to a huge-page mapping if it is large enough.
    pub fn new(v: Vec<T>) -> Self {
        let len = v.len();
        let bytes = std::mem::size_of_val(v.as_slice());
        if bytes >= HUGE_THRESHOLD && cfg!(target_os = "linux") {
            // Round up to 2 MiB so the kernel can back the whole range with huge pages.
            let size = bytes.div_ceil(HUGE_THRESHOLD) * HUGE_THRESHOLD;
            if let Ok(mut map) = memmap2::MmapOptions::new().len(size).map_anon() {
                #[cfg(target_os = "linux")]
                let _ = map.advise(memmap2::Advice::HugePage);
                map[..bytes].copy_from_slice(bytemuck::cast_slice(&v));
                return PodBuffer { storage: Storage::Mapped(map), len, _marker: PhantomData };
            }
        }
        PodBuffer { storage: Storage::Heap(v), len, _marker: PhantomData }
    }
}

impl<T: Pod> Deref for PodBuffer<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.storage {
            Storage::Heap(v) => v,
            // The mapping is page-aligned, so the cast cannot fail on alignment.
            Storage::Mapped(m) => bytemuck::cast_slice(&m[..self.len * std::mem::size_of::<T>()]),
        }
    }
}

impl<T: Pod> Clone for PodBuffer<T> {
    fn clone(&self) -> Self {
        PodBuffer::new(self.to_vec())
    }
}

impl<T: Pod> Default for PodBuffer<T> {
    fn default() -> Self {
        PodBuffer { storage: Storage::Heap(Vec::new()), len: 0, _marker: PhantomData }
    }
}

impl<T: Pod + std::fmt::Debug> std::fmt::Debug for PodBuffer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PodBuffer(len {}, {})", self.len, if matches!(self.storage, Storage::Mapped(_)) { "huge pages" } else { "heap" })
    }
}
