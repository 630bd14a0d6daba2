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
	E_NOTDIR    = -20, /* a path component is not a directory */
	E_ISDIR     = -21, /* the object is a directory */
	E_NOTEMPTY  = -22, /* the directory is not empty */
	E_ROFS      = -23, /* the file system is read-only */
	E_NAMETOOLONG = -24, /* a name or path is too long */
	E_CORRUPT   = -25, /* a medium's structures are malformed (disk image, ...) */
	E_CONNREFUSED = -26, /* nobody listens at that address and port */
	E_CONNRESET = -27, /* the peer reset or the stack aborted the connection */
	E_NOTCONN   = -28, /* the socket is not connected */
	E_ADDRINUSE = -29, /* the address or port is already bound */
	E_UNREACH   = -30, /* no route to the host or network */
	E__COUNT    = 31
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
