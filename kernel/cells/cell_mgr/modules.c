/*
 * modules.c: the boot modules that are cell objects, and which of them
 * provides each global symbol (the index behind loading on demand). Built
 * at boot by validating each object; a malformed module is reported here
 * and again if someone tries to load it. Live evolution replaces a
 * module's object by an uploaded one, adds new modules and removes old
 * ones (cell_module_set/cell_module_remove), so later loads get the new
 * code. Each boot module stays mapped from boot on, and each object is
 * parsed and checked once (elf_parse) and hashed once, on first use: a
 * reload or a swap does not map, re-verify or re-hash it (and no longer
 * waits for a lazily unmapped earlier mapping of the same frames to be
 * flushed from every CPU before it can map them again).
 * State: the module table and the symbol index, both under the
 * cell manager's writer lock (sync.c): the loader reads them holding it,
 * the shell and evolve take it here.
 */
#define LOG_TAG "cells"
#include "cell_mgr.h"
#include "cell_mgr_int.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "multiboot2.h"
#include "memory.h"

struct module {
	char name[32];
	uint64_t phys, size;
	bool app;      /* "name.o app" in the image: an application cell */
	bool nano;     /* "name.o nano": a copy of a nano_core cell, loaded only by a swap */
	bool simd;     /* "name@simd.o simd": a personality's own build, loaded only into it */
	bool removed;  /* taken out by live evolution */
	void *image;   /* an uploaded replacement (owned; NULL: the boot module) */
	struct mapped_pages *map; /* the boot module, mapped at boot and kept */
	struct elf_obj elf;       /* the current object (image or boot module) parsed... */
	bool parsed;              /* ...and checked: elf is valid */
	bool hashed;              /* hash is fnv1a of the current object */
	uint64_t hash;
};

static struct module mods[MB2_MAX_MODULES];
static size_t nmods;
static struct symmap providers; /* symbol -> module index (in addr) */

/* the module's object bytes: its uploaded image, or the boot module
 * (mapped at boot, kept) */
static const void *
module_bytes(size_t m, int *err)
{
	if (mods[m].image)
		return mods[m].image;
	if (!mods[m].map)
		return err_null(err, E_NOENT);
	return mp_as(mods[m].map, 0, mods[m].size, err);
}

/* the module's object, parsed and checked once; false (and, if why is not
 * NULL, the reason) if it is not a valid cell */
static bool
module_parsed(size_t m, struct elf_error *why)
{
	if (mods[m].parsed)
		return true;
	int err = E_OK;
	const void *data = module_bytes(m, &err);
	struct elf_error ignore;
	if (!data) {
		snprintf(why ? why->msg : ignore.msg, sizeof(ignore.msg), "cannot map its object file: %s",
			 err_str(err));
		return false;
	}
	mods[m].parsed = !elf_parse(data, mods[m].size, &mods[m].elf, why ? why : &ignore);
	return mods[m].parsed;
}

static int
index_module(size_t m)
{
	struct elf_error why;
	if (!module_parsed(m, &why)) {
		log_warn("module %s is not a valid cell: %s", mods[m].name, why.msg);
		return E_OK; /* reported; loading it will fail with the same message */
	}
	const struct elf_obj o = mods[m].elf;
	for (size_t k = 1; k < o.nsyms; k++) {
		const Elf64_Sym *s = &o.syms[k];
		if (s->st_shndx == SHN_UNDEF || ELF64_ST_BIND(s->st_info) == STB_LOCAL)
			continue;
		const char *name = elf_symbol_name(&o, s);
		if (!*name || symmap_get(&providers, name))
			continue;
		char *copy = kstrdup(name);
		if (!copy || symmap_reserve(&providers, 1)) {
			kfree(copy);
			return E_NOMEM;
		}
		symmap_put(&providers, copy, m, NULL);
	}
	return E_OK;
}

int
modules_init(const struct boot_info *bi)
{
	for (size_t i = 0; i < bi->nmodules && nmods < ARRAY_SIZE(mods); i++) {
		const struct mb2_module *m = &bi->modules[i];
		const char *sp = strchr(m->name, ' ');
		size_t n = sp ? (size_t)(sp - m->name) : strlen(m->name);
		if (n < 3 || strncmp(m->name + n - 2, ".o", 2) || n - 2 >= sizeof(mods[0].name))
			continue;
		memcpy(mods[nmods].name, m->name, n - 2);
		mods[nmods].name[n - 2] = '\0';
		mods[nmods].app = sp && !strcmp(sp, " app");
		mods[nmods].nano = sp && !strcmp(sp, " nano");
		mods[nmods].simd = sp && !strcmp(sp, " simd");
		mods[nmods].phys = m->start;
		mods[nmods].size = m->end - m->start;
		int merr = E_OK;
		mods[nmods].map = mp_map_phys(m->start, mods[nmods].size, MP_READ, &merr);
		if (!mods[nmods].map)
			log_warn("module %s: cannot map it: %s", mods[nmods].name, err_str(merr));
		/* a nano_core copy provides what the nano_core does already, a
		 * personality's build what its namesake does */
		int err = mods[nmods].nano || mods[nmods].simd ? E_OK : index_module(nmods);
		if (err)
			return err;
		nmods++;
	}
	log_info("%zu cell modules, %zu symbols indexed for loading on demand", nmods, providers.used);
	return E_OK;
}

const char *
modules_provider(const char *symbol)
{
	struct sym_entry *e = symmap_get(&providers, symbol);
	return e ? mods[e->addr].name : NULL;
}

static struct module *
module_named(const char *name)
{
	for (size_t i = 0; i < nmods; i++)
		if (!mods[i].removed && !strcmp(mods[i].name, name))
			return &mods[i];
	return NULL;
}

int
modules_object(const char *name, struct module_obj *out, struct elf_error *why)
{
	struct module *m = module_named(name);
	if (!m) {
		snprintf(why->msg, sizeof(why->msg), "no such boot module");
		return E_NOENT;
	}
	size_t i = (size_t)(m - mods);
	if (!module_parsed(i, why))
		return E_FORMAT;
	if (!m->hashed) {
		m->hash = fnv1a(m->elf.data, m->size);
		m->hashed = true;
	}
	*out = (struct module_obj){ .elf = &m->elf, .phys = m->image ? 0 : m->phys, .hash = m->hash };
	return E_OK;
}

const void *
modules_boot_bytes(uint64_t phys, size_t size)
{
	for (size_t i = 0; i < nmods; i++)
		if (mods[i].map && mods[i].phys == phys && mods[i].size == size)
			return mp_as(mods[i].map, 0, size, NULL);
	return NULL;
}

bool
cell_module_is_nano(const char *name)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	struct module *m = module_named(name);
	return m && m->nano;
}

bool
cell_module_is_app(const char *name)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	struct module *m = module_named(name);
	return m && m->app;
}

size_t
cell_modules(const char **names, size_t max)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	size_t n = 0;
	for (size_t i = 0; i < nmods && n < max; i++)
		if (!mods[i].removed)
			names[n++] = mods[i].name;
	return n;
}

/* module_bytes of the module named name (*m; E_NOENT if there is none) */
static const void *
module_bytes_named(const char *name, struct module **m, int *err)
{
	*m = module_named(name);
	if (!*m)
		return err_null(err, E_NOENT);
	return module_bytes((size_t)(*m - mods), err);
}

/* the named module's bytes: hashed (*hash, when hash
 * is not NULL) and/or copied to the heap (*copy and *size, when copy is
 * not NULL) */
static int
module_read(const char *name, void **copy, size_t *size, uint64_t *hash)
{
	struct module *m;
	int err = E_OK;
	const void *bytes = module_bytes_named(name, &m, &err);
	if (!bytes)
		return err;
	if (hash && !m->hashed) {
		m->hash = fnv1a(bytes, m->size);
		m->hashed = true;
	}
	if (hash)
		*hash = m->hash;
	if (copy) {
		void *c = kmalloc(m->size);
		if (!c)
			return E_NOMEM;
		memcpy(c, bytes, m->size);
		*copy = c;
		*size = m->size;
	}
	return E_OK;
}

int
cell_module_copy(const char *name, void **data, size_t *size)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	return module_read(name, data, size, NULL);
}

int
cell_module_hash(const char *name, uint64_t *hash)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	return module_read(name, NULL, NULL, hash);
}

int
cell_module_set(const char *name, void *image, size_t size, bool app)
{
	if (!*name || strlen(name) >= sizeof(mods[0].name) || !image || !size)
		return E_INVAL;
	struct elf_obj o;
	struct elf_error ee;
	if (elf_parse(image, size, &o, &ee))
		return E_FORMAT;
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	struct module *m = module_named(name);
	if (!m) {
		if (nmods == ARRAY_SIZE(mods))
			return E_NOSPC;
		m = &mods[nmods];
		memset(m, 0, sizeof(*m));
		strlcpy(m->name, name, sizeof(m->name));
		m->app = app;
		nmods++;
	}
	void *old = m->image;
	m->image = image;
	m->size = size;
	m->elf = o; /* parsed above; its pointers are into image */
	m->parsed = true;
	m->hashed = false;
	kfree(old);
	/* new symbols become loadable on demand (first provider wins) */
	if (index_module((size_t)(m - mods)))
		log_warn("module %s: out of memory indexing its symbols", name);
	return E_OK;
}

int
cell_module_remove(const char *name)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	struct module *m = module_named(name);
	if (!m)
		return E_NOENT;
	m->removed = true;
	kfree(m->image);
	m->image = NULL;
	m->parsed = m->hashed = false; /* (its boot mapping stays: history may check it out) */
	return E_OK;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(cell_modules);
EXPORT_APP(cell_module_is_app);
EXPORT_APP(cell_module_is_nano);
