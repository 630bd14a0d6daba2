/*
 * err.c: the single table of error names (see err.h). No state.
 */
#include "export.h"
#include "err.h"

static const char *const err_names[E__COUNT] = {
	[0]            = "ok",
	[-E_NOMEM]     = "out of memory",
	[-E_INVAL]     = "invalid argument",
	[-E_RANGE]     = "out of bounds",
	[-E_PERM]      = "not permitted by mapping flags",
	[-E_BUSY]      = "already in use",
	[-E_NOENT]     = "not found",
	[-E_EXIST]     = "already exists",
	[-E_ALIGN]     = "misaligned",
	[-E_NOSPC]     = "table full",
	[-E_FORMAT]    = "malformed data",
	[-E_FAULT]     = "CPU exception",
	[-E_NOTSUP]    = "not supported",
	[-E_OVERFLOW]  = "arithmetic overflow",
	[-E_DISCONNECTED] = "disconnected",
	[-E_WOULDBLOCK] = "would block",
	[-E_TIMEDOUT]  = "timed out",
	[-E_FULL]      = "full",
	[-E_INTR]      = "interrupted (task being killed)",
	[-E_IO]        = "device I/O error",
	[-E_NOTDIR]    = "not a directory",
	[-E_ISDIR]     = "is a directory",
	[-E_NOTEMPTY]  = "directory not empty",
	[-E_ROFS]      = "read-only file system",
	[-E_NAMETOOLONG] = "name too long",
	[-E_CORRUPT]   = "corrupted file system",
	[-E_CONNREFUSED] = "connection refused",
	[-E_CONNRESET] = "connection reset",
	[-E_NOTCONN]   = "not connected",
	[-E_ADDRINUSE] = "address in use",
	[-E_UNREACH]   = "host unreachable",
};

const char *
err_str(int err)
{
	if (err > 0 || err <= -E__COUNT)
		return "unknown error";
	return err_names[-err];
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(err_str);
