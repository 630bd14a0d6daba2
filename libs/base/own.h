/*
 * own: ownership ("intralingual" resources) in C, after systemd's
 * _cleanup_/TAKE_PTR and GLib's g_autoptr/g_steal_pointer.
 *
 * Every resource is an opaque pointer with exactly one drop function.
 *   - OWNED_BY(drop)   marks an allocator: -fanalyzer then reports leaks,
 *                      double drops and use after drop of its result.
 *   - DEFINE_DROP(T, drop) makes drop_p(T **), the cleanup helper.
 *   - _cleanup_(drop_p) on a declaration runs the drop on every exit path,
 *     including unwinding (cells are built with -fexceptions
 *     -fnon-call-exceptions, so faulting instructions get landing pads).
 *   - TAKE_PTR(p) moves ownership out: returns p and leaves p NULL, so the
 *     cleanup on the source becomes a no-op.
 * Keeps no state.
 */
#ifndef OWN_H
#define OWN_H

#define _cleanup_(f) __attribute__((cleanup(f)))

#define OWNED_BY(drop) __attribute__((malloc(drop, 1), warn_unused_result))

#define TAKE_PTR(p) ({                       \
	__typeof__(p) *_tp_src = &(p);           \
	__typeof__(p) _tp_val = *_tp_src;        \
	*_tp_src = NULL;                         \
	_tp_val;                                 \
})

/* drop_p(T **pp): drop *pp if it still owns something, then forget it */
#define DEFINE_DROP(type, drop)                                  \
	static inline void drop##_p(type **pp)                       \
	{                                                            \
		if (*pp) {                                               \
			drop(*pp);                                           \
			*pp = NULL;                                          \
		}                                                        \
	}

#endif
