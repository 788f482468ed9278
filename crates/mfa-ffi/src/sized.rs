//! Option structs that can grow: each begins with `uint32_t struct_size`, which its `_init`
//! function sets to `sizeof` the struct in the header the host was compiled with. Fields are
//! only ever appended, so a host built against an older header passes a shorter struct that
//! is a prefix of today's: the fields it holds are read, the ones it lacks take the defaults
//! that `_init` sets. Nothing past `struct_size` is ever read, so an older host's smaller
//! allocation is never overrun.

use std::mem::size_of;

use mfa::Error;

/// A host's option struct of type `T`, read field by field within its `struct_size`.
pub(crate) struct Sized<T> {
    ptr: *const T,
    size: usize,
    name: &'static str,
}

impl<T> Sized<T> {
    /// Checks the leading `struct_size`: 0 means the struct was not set up by its `_init`
    /// function; more than this library's `sizeof(T)` means a header newer than the library.
    ///
    /// # Safety
    /// `ptr` is non-NULL, its first `struct_size` bytes are readable, and each field within them
    /// is aligned as in `T` (true of any prefix of `T` a C compiler laid out).
    pub(crate) unsafe fn new(ptr: *const T, name: &'static str) -> Result<Self, Error> {
        // SAFETY: every option struct begins with a `uint32_t struct_size`; the caller
        // promises at least that much is readable.
        let size = unsafe { ptr.cast::<u32>().read() } as usize;
        if size == 0 {
            return Err(Error::InvalidInput(format!(
                "{name}.struct_size is 0: set the struct up with {name}_init before filling it in"
            )));
        }
        let ours = size_of::<T>();
        if size > ours {
            return Err(Error::InvalidInput(format!(
                "{name}.struct_size is {size} but this library's {name} is {ours} bytes: the host \
                 was compiled against a newer mfa_core.h than the library it runs with"
            )));
        }
        if size < size_of::<u32>() {
            return Err(Error::InvalidInput(format!(
                "{name}.struct_size {size} is not the size of any {name}"
            )));
        }
        Ok(Sized { ptr, size, name })
    }

    /// The field at `offset` (from `std::mem::offset_of!`) when it lies wholly within
    /// `struct_size`, `None` when it lies wholly beyond (an older host: the caller uses the
    /// default). A size that cuts a field in two is no size the struct ever had.
    ///
    /// `F` must be the field's type; `_field` only names it for type inference.
    pub(crate) fn field<F: Copy>(&self, offset: usize, _field: fn(&T) -> &F) -> Result<Option<F>, Error> {
        let end = offset + size_of::<F>();
        if end <= self.size {
            // SAFETY: `new`'s caller promised `struct_size` readable bytes, the field lies
            // within them at its own offset in `T`, so it is aligned; every field is a C
            // integer, bool or pointer, for which the host's bytes are a valid value.
            Ok(Some(unsafe { self.ptr.cast::<u8>().add(offset).cast::<F>().read() }))
        } else if offset >= self.size {
            Ok(None)
        } else {
            Err(Error::InvalidInput(format!(
                "{}.struct_size {} is not the size of any {}",
                self.name, self.size, self.name
            )))
        }
    }
}

/// Reads field `$field` of the host struct behind `$sized` (a [`Sized`] of `$ty`), or
/// `$default` when the host's struct ends before it.
macro_rules! field_or {
    ($sized:expr, $ty:ty, $field:ident, $default:expr) => {
        $sized.field(std::mem::offset_of!($ty, $field), |s: &$ty| &s.$field)?.unwrap_or($default)
    };
}
pub(crate) use field_or;

/// `sizeof(T)` as the `struct_size` an `_init` function writes.
pub(crate) fn struct_size<T>() -> u32 {
    u32::try_from(size_of::<T>()).expect("option structs are far smaller than 4 GiB")
}
