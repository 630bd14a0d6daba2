/*
 * modules.c: the boot modules that are cell objects, and which of them
 * provides each global symbol (the index behind loading on demand). Built
 * at boot by validating each object; a malformed module is reported here
 * and again if someone tries to load it. Live evolution replaces a
 * module's object by an uploaded one, adds new modules and removes old
 * ones (cell_module_set/cell_module_remove), so later loads get the new
 * code. State: the module table and the symbol index, both under the
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
};

static struct module mods[MB2_MAX_MODULES];
static size_t nmods;
static struct symmap providers; /* symbol -> module index (in addr) */

/* the module's object bytes: its uploaded image, or the boot module mapped
 * into *mp */
static const void *
module_bytes(size_t m, struct mapped_pages **mp, int *err)
{
	if (mods[m].image)
		return mods[m].image;
	*mp = mp_map_phys(mods[m].phys, mods[m].size, MP_READ, err);
	return *mp ? mp_as(*mp, 0, mods[m].size, err) : NULL;
}

static int
index_module(size_t m)
{
	int err = E_OK;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = NULL;
	const void *data = module_bytes(m, &mp, &err);
	if (!data)
		return err;
	struct elf_obj o;
	struct elf_error why;
	err = elf_parse(data, mods[m].size, &o, &why);
	if (err) {
		log_warn("module %s is not a valid cell: %s", mods[m].name, why.msg);
		return E_OK; /* reported; loading it will fail with the same message */
	}
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
modules_find(const char *name, const void **image, uint64_t *phys, uint64_t *size)
{
	struct module *m = module_named(name);
	if (!m)
		return E_NOENT;
	*image = m->image;
	*phys = m->phys;
	*size = m->size;
	return E_OK;
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
module_bytes_named(const char *name, struct module **m, struct mapped_pages **mp, int *err)
{
	*m = module_named(name);
	if (!*m)
		return err_null(err, E_NOENT);
	return module_bytes((size_t)(*m - mods), mp, err);
}

/* the named module's bytes, mapped for the call: hashed (*hash, when hash
 * is not NULL) and/or copied to the heap (*copy and *size, when copy is
 * not NULL) */
static int
module_read(const char *name, void **copy, size_t *size, uint64_t *hash)
{
	struct module *m;
	int err = E_OK;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = NULL;
	const void *bytes = module_bytes_named(name, &m, &mp, &err);
	if (!bytes)
		return err;
	if (hash)
		*hash = fnv1a(bytes, m->size);
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
	return E_OK;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(cell_modules);
EXPORT_APP(cell_module_is_app);
EXPORT_APP(cell_module_is_nano);
