/*
 * export.h: EXPORT_APP(sym) lists a kernel symbol as callable by
 * application cells (the cell manager refuses any other kernel symbol to
 * apps). The names go into the cell's .app_exports section.
 */
#ifndef EXPORT_H
#define EXPORT_H

#define EXPORT_APP(sym)                                                   \
	static const char export_app_##sym[]                                  \
		__attribute__((used, section(".app_exports"))) = #sym

#endif
