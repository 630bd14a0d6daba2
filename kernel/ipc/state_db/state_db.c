/*
 * state_db.c: a fixed table of named states under one lock.
 */
#define LOG_TAG "state_db"
#include "state_db.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"

struct entry {
	char name[STATE_NAME_MAX], owner[STATE_NAME_MAX];
	size_t size;
	void *data;            /* heap; NULL for a dropped soft state */
	state_init_fn regen;   /* soft states */
	uint32_t gen;          /* bumped when the slot is reused */
	uint32_t regenerations;
	bool used, soft;
};

static struct spinlock lock = SPINLOCK_INIT;
static struct entry table[STATE_MAX] CELL_CARRY(table);

static int
find(const char *name)
{
	for (int i = 0; i < STATE_MAX; i++)
		if (table[i].used && !strcmp(table[i].name, name))
			return i;
	return -1;
}

static int
obtain(const char *name, size_t size, const char *owner, state_init_fn init, bool soft,
       struct state_ref *out)
{
	if (!name || !*name || strlen(name) >= STATE_NAME_MAX || !size)
		return E_INVAL;
	/* allocate outside the lock; free it if someone else won */
	_cleanup_(kfreep) void *fresh = kzalloc(size);
	if (!fresh)
		return E_NOMEM;
	bool irq = spin_lock_irq(&lock);
	int i = find(name);
	int err = E_OK;
	bool created = false;
	if (i >= 0) {
		if (table[i].size != size || table[i].soft != soft)
			err = E_INVAL;
	} else {
		for (i = 0; i < STATE_MAX && table[i].used; i++)
			;
		if (i == STATE_MAX) {
			err = E_NOSPC;
		} else {
			struct entry *e = &table[i];
			uint32_t gen = e->gen + 1;
			*e = (struct entry){ .size = size, .data = TAKE_PTR(fresh), .regen = soft ? init : NULL,
					     .gen = gen, .used = true, .soft = soft };
			strlcpy(e->name, name, sizeof(e->name));
			strlcpy(e->owner, owner ? owner : "?", sizeof(e->owner));
			created = true;
		}
	}
	if (!err) {
		out->slot = (uint32_t)i;
		out->gen = table[i].gen;
	}
	void *data = created ? table[i].data : NULL;
	spin_unlock_irq(&lock, irq);
	if (created && init)
		init(data, size); /* the state is new: its owner fills it */
	if (created)
		log_info("new state %s (%zu bytes) for %s", name, size, owner ? owner : "?");
	return err;
}

int
state_db_obtain(const char *name, size_t size, const char *owner, state_init_fn init,
		struct state_ref *out)
{
	return obtain(name, size, owner, init, false, out);
}

int
state_db_obtain_soft(const char *name, size_t size, const char *owner, state_init_fn regen,
		     struct state_ref *out)
{
	if (!regen)
		return E_INVAL;
	return obtain(name, size, owner, regen, true, out);
}

void *
state_db_get(struct state_ref r)
{
	if (r.slot >= STATE_MAX)
		return NULL;
	bool irq = spin_lock_irq(&lock);
	struct entry *e = &table[r.slot];
	void *data = e->used && e->gen == r.gen ? e->data : NULL;
	bool regen = e->used && e->gen == r.gen && !data && e->soft;
	spin_unlock_irq(&lock, irq);
	if (!regen)
		return data;
	/* a dropped soft state: rebuild it */
	_cleanup_(kfreep) void *fresh = kzalloc(e->size);
	if (!fresh)
		return NULL;
	e->regen(fresh, e->size);
	irq = spin_lock_irq(&lock);
	if (e->used && e->gen == r.gen && !e->data) {
		e->data = TAKE_PTR(fresh);
		e->regenerations++;
	}
	data = e->used && e->gen == r.gen ? e->data : NULL;
	spin_unlock_irq(&lock, irq);
	return data;
}

int
state_db_remove(const char *name)
{
	bool irq = spin_lock_irq(&lock);
	int i = find(name);
	void *data = NULL;
	if (i >= 0) {
		data = table[i].data;
		table[i].used = false;
		table[i].data = NULL;
	}
	spin_unlock_irq(&lock, irq);
	kfree(data);
	return i >= 0 ? E_OK : E_NOENT;
}

int
state_db_drop_soft(const char *name)
{
	bool irq = spin_lock_irq(&lock);
	int i = find(name);
	void *data = NULL;
	int err = i < 0 ? E_NOENT : !table[i].soft ? E_PERM : E_OK;
	if (!err) {
		data = table[i].data;
		table[i].data = NULL;
	}
	spin_unlock_irq(&lock, irq);
	kfree(data);
	return err;
}

size_t
state_db_list(struct state_info *out, size_t max)
{
	size_t n = 0;
	bool irq = spin_lock_irq(&lock);
	for (int i = 0; i < STATE_MAX; i++) {
		struct entry *e = &table[i];
		if (!e->used)
			continue;
		if (n < max) {
			strlcpy(out[n].name, e->name, sizeof(out[n].name));
			strlcpy(out[n].owner, e->owner, sizeof(out[n].owner));
			out[n].size = e->size;
			out[n].soft = e->soft;
			out[n].present = e->data != NULL;
			out[n].gen = e->gen;
			out[n].regenerations = e->regenerations;
		}
		n++;
	}
	spin_unlock_irq(&lock, irq);
	return n;
}

/* the serialized form: a header, then every slot (used or not, so weak
 * references - slot and generation - stay valid across the swap) */
struct image {
	uint64_t magic;
	uint32_t version, slots;
	struct entry e[STATE_MAX];
};
#define IMAGE_MAGIC 0x53544154454442ULL /* "STATEDB" */

size_t
state_db_serialized_size(void)
{
	return sizeof(struct image);
}

int
state_db_serialize(void *buf, size_t cap)
{
	if (cap < sizeof(struct image))
		return E_NOSPC;
	struct image *im = buf;
	bool irq = spin_lock_irq(&lock);
	im->magic = IMAGE_MAGIC;
	im->version = 1;
	im->slots = STATE_MAX;
	memcpy(im->e, table, sizeof(table));
	spin_unlock_irq(&lock, irq);
	return E_OK;
}

int
state_db_restore(const void *buf, size_t len)
{
	const struct image *im = buf;
	if (len < sizeof(*im) || im->magic != IMAGE_MAGIC || im->version != 1 || im->slots != STATE_MAX)
		return E_FORMAT;
	bool irq = spin_lock_irq(&lock);
	bool empty = true;
	for (int i = 0; i < STATE_MAX; i++)
		empty &= !table[i].used;
	if (empty)
		memcpy(table, im->e, sizeof(table));
	spin_unlock_irq(&lock, irq);
	return empty ? E_OK : E_BUSY; /* only into a fresh, empty state_db */
}

EXPORT_APP(state_db_list);
