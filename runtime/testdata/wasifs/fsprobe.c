// fsprobe exercises the sandbox's WASI file system the way CPython's C code
// does (through wasi-libc) and, where libc hides the detail, through the raw
// WASI calls. It is a reactor: the host calls _initialize (which scans the
// preopened directories), then the probe_* exports. Everything it learns is
// printed to standard output, for the Go test to compare.
//
// The mount it expects is described in wasifs_test.go (mountFS).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#define EXPORT(name) __attribute__((export_name(name)))

static const char *OS = "/usr/local/lib/python3.13/os.pyc";

static void report(const char *what, int ok) {
	if (ok) {
		printf("%s: ok\n", what);
	} else {
		printf("%s: errno %d (%s)\n", what, errno, strerror(errno));
	}
}

static const char *kind(mode_t m) {
	if (S_ISDIR(m)) return "dir";
	if (S_ISREG(m)) return "file";
	if (S_ISCHR(m)) return "chardev";
	return "other";
}

static void show_stat(const char *path) {
	struct stat st;
	if (stat(path, &st) != 0) {
		printf("stat %s: errno %d (%s)\n", path, errno, strerror(errno));
		return;
	}
	printf("stat %s: %s size=%lld nlink=%llu mtime=%lld ino-set=%d\n", path, kind(st.st_mode),
	       (long long)st.st_size, (unsigned long long)st.st_nlink, (long long)st.st_mtim.tv_sec,
	       st.st_ino != 0);
}

static void show_open(const char *what, const char *path, int flags) {
	int fd = open(path, flags, 0644);
	if (fd >= 0) {
		printf("%s: opened fd %d\n", what, fd);
		close(fd);
	} else {
		printf("%s: errno %d (%s)\n", what, errno, strerror(errno));
	}
}

static void show_raw_open(const char *what, int dirfd, const char *path) {
	__wasi_fd_t fd;
	__wasi_errno_t e = __wasi_path_open(dirfd, 0, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
	if (e == 0) {
		printf("raw open %s: opened fd %d\n", what, fd);
		(void)__wasi_fd_close(fd);
	} else {
		printf("raw open %s: errno %d\n", what, e);
	}
}

static void preopens(void) {
	for (__wasi_fd_t fd = 3; fd < 6; fd++) {
		__wasi_prestat_t pre;
		__wasi_errno_t e = __wasi_fd_prestat_get(fd, &pre);
		if (e != 0) {
			printf("prestat %d: errno %d\n", fd, e);
			continue;
		}
		char name[64] = {0};
		e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, pre.u.dir.pr_name_len);
		printf("prestat %d: tag %d len %lu name %s (errno %d)\n", fd, pre.tag, pre.u.dir.pr_name_len, name, e);
		__wasi_fdstat_t fs;
		e = __wasi_fd_fdstat_get(fd, &fs);
		printf("fdstat %d: type %d readdir %d path_open %d inherit-read %d (errno %d)\n", fd, fs.fs_filetype,
		       (fs.fs_rights_base & __WASI_RIGHTS_FD_READDIR) != 0, (fs.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) != 0,
		       (fs.fs_rights_inheriting & __WASI_RIGHTS_FD_READ) != 0, e);
	}
}

static void stats(void) {
	show_stat("/usr/local");
	show_stat("/usr/local/lib");
	show_stat(OS);
	show_stat("/usr/local/share/zoneinfo/Europe/Paris");
	show_stat("/usr/local/lib/python3.13/missing.pyc");
	show_stat("/usr/local/lib/python3.13/os.pyc/x");
	show_stat("/usr/local/lib/python3.13/os.pyc/");
	show_stat("/usr/local/lib/python3.13/json/");
	show_stat("/usr/local/lib/../lib/python3.13/os.pyc");
	show_stat("/usr/local/..");
	show_stat("/usr");
	show_stat("/etc/passwd");
	struct stat a, b, l;
	stat(OS, &a);
	stat("/usr/local/lib/python3.13/./os.pyc", &b);
	lstat(OS, &l);
	printf("inode stable: %d, lstat same: %d, dev same: %d\n", a.st_ino == b.st_ino, a.st_ino == l.st_ino,
	       a.st_dev == b.st_dev);
	struct stat d1, d2;
	stat("/usr/local/lib", &d1);
	stat("/usr/local/lib/python3.13/..", &d2);
	printf("dir inode via ..: %d\n", d1.st_ino == d2.st_ino);
	struct stat out;
	if (fstat(1, &out) == 0) {
		printf("fstat stdout: %s\n", kind(out.st_mode));
	} else {
		printf("fstat stdout: errno %d\n", errno);
	}
	printf("isatty stdout: %d\n", isatty(1));
}

static void reads(void) {
	FILE *f = fopen(OS, "rb");
	if (!f) {
		report("fopen os.pyc", 0);
		return;
	}
	char buf[256];
	size_t n = fread(buf, 1, sizeof buf, f);
	printf("fread: %zu bytes: %.*s", n, (int)n, buf);
	fseek(f, 6, SEEK_SET);
	n = fread(buf, 1, 4, f);
	printf("fseek 6, fread 4: %.*s\n", (int)n, buf);
	fseek(f, -9, SEEK_END);
	long at = ftell(f);
	n = fread(buf, 1, sizeof buf, f);
	printf("fseek end-9 at %ld: %.*s", at, (int)n, buf);
	fseek(f, 0, SEEK_SET);
	n = fread(buf, 1, 5, f);
	printf("fseek 0, fread 5: %.*s\n", (int)n, buf);
	fseek(f, 1000, SEEK_SET);
	n = fread(buf, 1, sizeof buf, f);
	printf("fseek past end, fread: %zu, eof %d\n", n, feof(f));
	fclose(f);

	int fd = open(OS, O_RDONLY);
	n = pread(fd, buf, 4, 17);
	printf("pread 4 at 17: %.*s, then read from %lld: ", (int)n, buf, (long long)lseek(fd, 0, SEEK_CUR));
	n = read(fd, buf, 5);
	printf("%.*s\n", (int)n, buf);
	n = pread(fd, buf, 3, 1);
	printf("pread backwards 3 at 1: %.*s\n", (int)n, buf);
	struct stat st;
	fstat(fd, &st);
	printf("fstat: %s size %lld\n", kind(st.st_mode), (long long)st.st_size);
	printf("fcntl getfl rdonly: %d\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	printf("write to it: %zd errno %d\n", write(fd, "x", 1), errno);
	close(fd);
	printf("read closed fd: %zd errno %d\n", read(fd, buf, 1), errno);

	// A larger, compressible file: read in pieces, the last one short.
	f = fopen("/usr/local/share/zoneinfo/Europe/Paris", "rb");
	unsigned long sum = 0;
	size_t total = 0;
	while ((n = fread(buf, 1, 100, f)) > 0) {
		for (size_t i = 0; i < n; i++) sum = sum * 31 + (unsigned char)buf[i];
		total += n;
	}
	printf("Paris: %zu bytes, sum %lu\n", total, sum);
	fclose(f);

	fd = open("/usr/local/lib", O_RDONLY);
	printf("open dir O_RDONLY: %d, read: %zd errno %d (%s)\n", fd >= 0, read(fd, buf, 1), errno, strerror(errno));
	close(fd);
	fd = open(OS, O_RDONLY | O_DIRECTORY);
	printf("open file O_DIRECTORY: %d errno %d (%s)\n", fd, errno, strerror(errno));
}

static void writes(void) {
	show_open("O_CREAT|O_WRONLY new", "/usr/local/lib/new.txt", O_CREAT | O_WRONLY);
	show_open("O_WRONLY existing", OS, O_WRONLY);
	show_open("O_RDWR existing", OS, O_RDWR);
	show_open("O_RDONLY|O_TRUNC", OS, O_RDONLY | O_TRUNC);
	show_open("O_APPEND", OS, O_WRONLY | O_APPEND);
	show_open("O_CREAT|O_EXCL existing", OS, O_CREAT | O_EXCL | O_WRONLY);
	show_open("O_WRONLY dir", "/usr/local/lib", O_WRONLY);
	show_open("O_CREAT outside the mount", "/tmp/x", O_CREAT | O_WRONLY);
	FILE *f = fopen("/usr/local/lib/python3.13/os.pyc", "w");
	printf("fopen w: %s errno %d (%s)\n", f ? "opened" : "NULL", errno, strerror(errno));
	f = fopen("/usr/local/lib/python3.13/os.pyc", "a");
	printf("fopen a: %s errno %d (%s)\n", f ? "opened" : "NULL", errno, strerror(errno));
	report("mkdir", mkdir("/usr/local/lib/d", 0755) == 0);
	report("unlink", unlink(OS) == 0);
	report("rmdir", rmdir("/usr/local/lib/python3.13/json") == 0);
	report("rename", rename(OS, "/usr/local/lib/os2.pyc") == 0);
	report("symlink", symlink("os.pyc", "/usr/local/lib/link") == 0);
	char target[16];
	report("readlink", readlink(OS, target, sizeof target) >= 0);
	report("readlink missing", readlink("/usr/local/nope", target, sizeof target) >= 0);
}

static void escapes(void) {
	show_open("../../etc/passwd", "/usr/local/../../etc/passwd", O_RDONLY);
	show_open("lib/../../local/lib", "/usr/local/lib/../../local/lib", O_RDONLY);
	show_open("lib/../lib/python3.13/os.pyc", "/usr/local/lib/../lib/python3.13/os.pyc", O_RDONLY);
	show_raw_open("..", 3, "..");
	show_raw_open("lib/../..", 3, "lib/../..");
	show_raw_open("lib/python3.13/../../../usr", 3, "lib/python3.13/../../../usr");
	show_raw_open("/etc", 3, "/etc");
	show_raw_open("empty", 3, "");
	show_raw_open(".", 3, ".");
	show_raw_open("lib//python3.13/./os.pyc", 3, "lib//python3.13/./os.pyc");
	show_raw_open("on stdin", 0, "lib");
	show_raw_open("on fd 9", 9, "lib");
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void listing(void) {
	DIR *d = opendir("/usr/local/lib/many");
	if (!d) {
		report("opendir many", 0);
		return;
	}
	int count = 0, dots = 0, files = 0;
	long mark = -1;
	char first[64] = "", last[64] = "", after[64] = "";
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		count++;
		if (e->d_name[0] == '.') {
			dots += e->d_type == DT_DIR;
			continue;
		}
		files += e->d_type == DT_REG && e->d_ino != 0;
		if (!first[0]) snprintf(first, sizeof first, "%s", e->d_name);
		snprintf(last, sizeof last, "%s", e->d_name);
		if (files == 50) mark = telldir(d);
		if (files == 51) snprintf(after, sizeof after, "%s", e->d_name);
	}
	printf("many: %d entries, %d dot dirs, %d files, first %s, last %s\n", count, dots, files, first, last);
	seekdir(d, mark);
	e = readdir(d);
	printf("seekdir to the 50th: next %s, same as before %d\n", e ? e->d_name : "(null)", e && !strcmp(e->d_name, after));
	rewinddir(d);
	count = 0;
	while (readdir(d) != NULL) count++;
	printf("after rewinddir: %d entries\n", count);
	closedir(d);

	// The root of the mount and a directory of directories, sorted.
	const char *dirs[] = {"/usr/local", "/usr/local/lib/python3.13", "/usr/local/share/zoneinfo"};
	for (int i = 0; i < 3; i++) {
		d = opendir(dirs[i]);
		char *names[16];
		int n = 0;
		while ((e = readdir(d)) != NULL && n < 16) {
			names[n++] = strdup(e->d_name);
		}
		closedir(d);
		qsort(names, n, sizeof names[0], cmp);
		printf("ls %s:", dirs[i]);
		for (int j = 0; j < n; j++) {
			printf(" %s", names[j]);
			free(names[j]);
		}
		printf("\n");
	}

	d = opendir("/usr/local/lib/long");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.') printf("long name: %zu bytes, all x: %d\n", strlen(e->d_name), strspn(e->d_name, "x") == strlen(e->d_name));
	}
	closedir(d);
	d = opendir(OS);
	printf("opendir a file: %s errno %d (%s)\n", d ? "opened" : "NULL", errno, strerror(errno));
	d = opendir("/usr/local/none");
	printf("opendir missing: %s errno %d (%s)\n", d ? "opened" : "NULL", errno, strerror(errno));

	// Raw fd_readdir: buffers too small for one entry, and cookies.
	int fd = open("/usr/local/lib/many", O_RDONLY | O_DIRECTORY);
	uint8_t buf[4096];
	__wasi_size_t used;
	__wasi_errno_t err = __wasi_fd_readdir(fd, buf, 10, 0, &used);
	printf("readdir into 10 bytes: errno %d used %lu\n", err, used);
	err = __wasi_fd_readdir(fd, buf, 30, 0, &used);
	__wasi_dirent_t h;
	memcpy(&h, buf, sizeof h);
	printf("readdir into 30 bytes: errno %d used %lu, first: next %llu namlen %u type %d name %.*s\n", err, used,
	       (unsigned long long)h.d_next, h.d_namlen, h.d_type, (int)h.d_namlen, buf + sizeof h);
	// Walk with a 200-byte buffer, resuming at the cookie of the last
	// whole entry of each call.
	__wasi_dircookie_t cookie = 0;
	int calls = 0, entries = 0;
	for (;;) {
		err = __wasi_fd_readdir(fd, buf, 200, cookie, &used);
		calls++;
		if (err != 0 || used == 0) break;
		size_t off = 0;
		while (off + sizeof h <= used) {
			memcpy(&h, buf + off, sizeof h);
			if (off + sizeof h + h.d_namlen > used) break;
			off += sizeof h + h.d_namlen;
			cookie = h.d_next;
			entries++;
		}
		if (used < 200) break;
	}
	printf("raw walk by 200 bytes: %d entries in %d calls, errno %d\n", entries, calls, err);
	err = __wasi_fd_readdir(fd, buf, sizeof buf, 1000000, &used);
	printf("readdir past the end: errno %d used %lu\n", err, used);
	int file = open(OS, O_RDONLY);
	err = __wasi_fd_readdir(file, buf, sizeof buf, 0, &used);
	printf("readdir on a file: errno %d\n", err);
	close(file);
	close(fd);
}

static void exhaustion(void) {
	int fds[200], n = 0;
	for (; n < 200; n++) {
		fds[n] = open(OS, O_RDONLY);
		if (fds[n] < 0) break;
	}
	printf("opened %d files (fds %d..%d), then errno %d (%s)\n", n, fds[0], fds[n - 1], errno, strerror(errno));
	DIR *d = opendir("/usr/local");
	printf("opendir when full: %s errno %d\n", d ? "opened" : "NULL", errno);
	close(fds[10]);
	int again = open(OS, O_RDONLY);
	printf("after closing fd %d, open gives fd %d\n", fds[10], again);
	fds[10] = again;
	for (int i = 0; i < n; i++) close(fds[i]);
	again = open(OS, O_RDONLY);
	printf("after closing all, open gives fd %d\n", again);
	close(again);
}

static long long ms_since(struct timespec *a) {
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((long long)(b.tv_sec - a->tv_sec) * 1000000000LL + (b.tv_nsec - a->tv_nsec)) / 1000000;
}

static void sleeps(void) {
	struct timespec t0, req = {0, 30 * 1000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = nanosleep(&req, NULL);
	printf("nanosleep 30ms: %d, slept at least 30ms: %d\n", r, ms_since(&t0) >= 30);

	// An absolute monotonic deadline 20 ms ahead, with the raw call.
	__wasi_timestamp_t now;
	(void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now);
	__wasi_subscription_t sub = {.userdata = 42, .u = {.tag = __WASI_EVENTTYPE_CLOCK}};
	sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
	sub.u.u.clock.timeout = now + 20 * 1000000;
	sub.u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
	__wasi_event_t ev[4];
	__wasi_size_t nev = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	__wasi_errno_t e = __wasi_poll_oneoff(&sub, ev, 1, &nev);
	printf("absolute 20ms: errno %d, %lu event, userdata %llu, error %d, type %d, waited at least 20ms: %d\n", e, nev,
	       (unsigned long long)ev[0].userdata, ev[0].error, ev[0].type, ms_since(&t0) >= 20);
	// An absolute deadline in the past, realtime: due at once.
	sub.u.u.clock.id = __WASI_CLOCKID_REALTIME;
	sub.u.u.clock.timeout = 1;
	e = __wasi_poll_oneoff(&sub, ev, 1, &nev);
	printf("absolute past: errno %d, %lu event, error %d\n", e, nev, ev[0].error);

	// Descriptors answer at once, the clock beside them is not due.
	__wasi_subscription_t subs[4] = {
	    {.userdata = 1, .u = {.tag = __WASI_EVENTTYPE_CLOCK}},
	    {.userdata = 2, .u = {.tag = __WASI_EVENTTYPE_FD_READ}},
	    {.userdata = 3, .u = {.tag = __WASI_EVENTTYPE_FD_WRITE}},
	    {.userdata = 4, .u = {.tag = __WASI_EVENTTYPE_FD_READ}},
	};
	subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
	subs[0].u.u.clock.timeout = 3600ULL * 1000000000ULL;
	subs[1].u.u.fd_read.file_descriptor = 0;
	subs[2].u.u.fd_write.file_descriptor = 1;
	subs[3].u.u.fd_read.file_descriptor = 99;
	e = __wasi_poll_oneoff(subs, ev, 4, &nev);
	printf("fds: errno %d, %lu events:", e, nev);
	for (__wasi_size_t i = 0; i < nev; i++) {
		printf(" [ud %llu type %d error %d]", (unsigned long long)ev[i].userdata, ev[i].type, ev[i].error);
	}
	printf("\n");
	int fd = open(OS, O_RDONLY);
	subs[3].u.u.fd_read.file_descriptor = fd;
	e = __wasi_poll_oneoff(&subs[3], ev, 1, &nev);
	printf("open file: errno %d, %lu event, error %d, nbytes %llu\n", e, nev, ev[0].error,
	       (unsigned long long)ev[0].fd_readwrite.nbytes);
	close(fd);
	sub.u.u.clock.id = 77;
	e = __wasi_poll_oneoff(&sub, ev, 1, &nev);
	printf("unknown clock: errno %d, %lu event, error %d\n", e, nev, ev[0].error);
	e = __wasi_poll_oneoff(&sub, ev, 0, &nev);
	printf("no subscription: errno %d\n", e);
}

EXPORT("probe_run") void probe_run(void) {
	preopens();
	stats();
	reads();
	writes();
	escapes();
	listing();
	exhaustion();
	sleeps();
	fflush(stdout);
}

// probe_open_many opens os.pyc n times, keeping every descriptor, and
// returns the last one (or -errno).
EXPORT("probe_open_many") int probe_open_many(int n) {
	int fd = -1;
	for (int i = 0; i < n; i++) {
		fd = open(OS, O_RDONLY);
		if (fd < 0) return -errno;
	}
	return fd;
}

// probe_read_fd reads one byte of fd and returns it, or -errno.
EXPORT("probe_read_fd") int probe_read_fd(int fd) {
	unsigned char c;
	ssize_t n = read(fd, &c, 1);
	if (n < 0) return -errno;
	return n == 0 ? -1000 : c;
}

// probe_sleep_ms sleeps and returns 0, or -errno.
EXPORT("probe_sleep_ms") int probe_sleep_ms(int ms) {
	struct timespec req = {ms / 1000, (ms % 1000) * 1000000L};
	return nanosleep(&req, NULL) == 0 ? 0 : -errno;
}

// probe_cat reads a whole file and returns its length, or -errno.
EXPORT("probe_cat") int probe_cat(void) {
	static char buf[4096];
	int fd = open(OS, O_RDONLY);
	if (fd < 0) return -errno;
	int total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
	close(fd);
	return total;
}

// probe_list lists a directory and returns how many entries it has, or
// -errno.
EXPORT("probe_list") int probe_list(void) {
	DIR *d = opendir("/usr/local/lib/many");
	if (!d) return -errno;
	int n = 0;
	while (readdir(d) != NULL) n++;
	closedir(d);
	return n;
}
