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

#[cfg(test)]
mod tests {
    use std::mem::offset_of;

    use super::*;

    #[repr(C)]
    struct Demo {
        struct_size: u32,
        a: bool,
        b: u64,
        c: u32,
    }

    fn demo(struct_size: u32) -> Demo {
        Demo { struct_size, a: true, b: 7, c: 9 }
    }

    /// What was read of `a`, `b` and `c`.
    type Fields = (Option<bool>, Option<u64>, Option<u32>);

    fn read(d: &Demo) -> Result<Fields, Error> {
        let s = unsafe { Sized::new(d, "demo") }?;
        Ok((
            s.field(offset_of!(Demo, a), |d: &Demo| &d.a)?,
            s.field(offset_of!(Demo, b), |d: &Demo| &d.b)?,
            s.field(offset_of!(Demo, c), |d: &Demo| &d.c)?,
        ))
    }

    #[test]
    fn every_field_within_struct_size_is_read_and_none_beyond() {
        assert_eq!(read(&demo(struct_size::<Demo>())).unwrap(), (Some(true), Some(7), Some(9)));
        // An older layout that ended after `b` (C pads it to 16 bytes).
        assert_eq!(read(&demo(16)).unwrap(), (Some(true), Some(7), None));
        // One that ended after `a` (padded to 8), and one that held only `struct_size`.
        assert_eq!(read(&demo(8)).unwrap(), (Some(true), None, None));
        assert_eq!(read(&demo(4)).unwrap(), (None, None, None));
    }

    #[test]
    fn zero_too_large_too_small_and_cut_fields_are_invalid_input() {
        let message = |size| match read(&demo(size)) {
            Err(Error::InvalidInput(m)) => m,
            other => panic!("struct_size {size} gave {other:?}"),
        };
        assert!(message(0).contains("demo_init"));
        assert!(message(struct_size::<Demo>() + 1).contains("newer mfa_core.h"));
        assert!(message(3).contains("not the size of any demo"));
        assert!(message(12).contains("not the size of any demo")); // half of `b`
    }
}
