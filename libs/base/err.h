/*
 * err: the one error enum of the system. Fallible functions return it
 * (negative) or take an `int *err` out-parameter when they must return an
 * owned pointer (so -fanalyzer can track the pointer). err_str() names it.
 */
#ifndef ERR_H
#define ERR_H

enum err {
	E_OK        = 0,   /* success */
	E_NOMEM     = -1,  /* out of frames, pages or heap */
	E_INVAL     = -2,  /* malformed argument */
	E_RANGE     = -3,  /* offset or size outside the object's bounds */
	E_PERM      = -4,  /* access not allowed by the mapping's flags */
	E_BUSY      = -5,  /* resource already owned by someone else */
	E_NOENT     = -6,  /* no such object (symbol, module, cell, ...) */
	E_EXIST     = -7,  /* object already exists */
	E_ALIGN     = -8,  /* address or size not suitably aligned */
	E_NOSPC     = -9,  /* a fixed-capacity table is full */
	E_FORMAT    = -10, /* malformed input data (ELF, multiboot2, ...) */
	E_FAULT     = -11, /* a CPU exception was caught */
	E_NOTSUP    = -12, /* not supported on this machine / build */
	E_OVERFLOW  = -13, /* arithmetic overflow in a size computation */
	E_DISCONNECTED = -14, /* the other side of a channel is gone */
	E_WOULDBLOCK = -15, /* a try_ operation could not proceed now */
	E_TIMEDOUT  = -16, /* the deadline passed first */
	E_FULL      = -17, /* a bounded buffer has no room */
	E_INTR      = -18, /* interrupted: the task is being killed */
	E_IO        = -19, /* a device reported an error or was reset mid-request */
	E__COUNT    = 20
};

const char *err_str(int err);

/* the out-parameter idiom: set *err if the caller asked for it */
static inline void err_set(int *err, int val)
{
	if (err)
		*err = val;
}

/* the same for a constructor's failure: return err_null(err, E_NOMEM); */
static inline void *err_null(int *err, int val)
{
	err_set(err, val);
	return (void *)0; /* err.h stands alone: no NULL here */
}

#endif
