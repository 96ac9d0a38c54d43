/* SPDX-License-Identifier: MIT */
#ifndef JD_LOG_H
#define JD_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_max_level;

__attribute__((format(printf, 2, 3))) void log_write(enum log_level level, const char *fmt, ...);

/* The level check comes before the arguments are evaluated or formatted. */
#define log_at(level, ...)                                                                         \
	do {                                                                                       \
		if ((level) <= log_max_level)                                                      \
			log_write((level), __VA_ARGS__);                                           \
	} while (0)
#define log_err(...)   log_at(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)

#endif
