/* Two threads contending one mutex and one rwlock with a known hold time, built by the tests:
 *   lockstress ROUNDS HOLD_MS
 * Per round the holder takes the lock, lets the waiter try, holds HOLD_MS from the moment the
 * waiter runs (so a waiter woken late on a busy CPU still finds the lock held), releases; the waiter
 * waits about HOLD_MS each time: ROUNDS rounds on the mutex (waiter: pthread_mutex_lock), then
 * ROUNDS on the rwlock (holder: wrlock, waiter: rdlock). Prints one JSON line with the lock
 * addresses and both thread ids first, then waits for one line (or the end of file) on standard
 * input, which the caller writes once the tool that watches it is ready; {"done": true} at the end. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static sem_t go, trying, done, ready;
static int rounds, hold_ms;
static pid_t waiter_tid;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Blocks until the caller releases the rounds. A plain read(2): stdio would take its own lock,
 * which is not one of the locks the rounds are about. */
static void wait_for_release(void)
{
	char c;

	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

static void *waiter(void *arg)
{
	(void)arg;
	waiter_tid = (pid_t)syscall(SYS_gettid);
	sem_post(&ready);
	for (int i = 0; i < rounds; i++) {
		sem_wait(&go);
		sem_post(&trying);
		pthread_mutex_lock(&mutex);
		pthread_mutex_unlock(&mutex);
		sem_post(&done);
	}
	for (int i = 0; i < rounds; i++) {
		sem_wait(&go);
		sem_post(&trying);
		pthread_rwlock_rdlock(&rwlock);
		pthread_rwlock_unlock(&rwlock);
		sem_post(&done);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 3)
		return 2;
	rounds = atoi(argv[1]);
	hold_ms = atoi(argv[2]);
	sem_init(&go, 0, 0);
	sem_init(&trying, 0, 0);
	sem_init(&done, 0, 0);
	sem_init(&ready, 0, 0);
	pthread_create(&t, NULL, waiter, NULL);
	sem_wait(&ready);
	printf("{\"pid\": %d, \"holder_tid\": %d, \"waiter_tid\": %d, \"mutex\": \"%p\", \"rwlock\": \"%p\"}\n",
	       getpid(), (int)syscall(SYS_gettid), waiter_tid, (void *)&mutex, (void *)&rwlock);
	fflush(stdout);
	wait_for_release();
	for (int i = 0; i < rounds; i++) {
		pthread_mutex_lock(&mutex);
		sem_post(&go);
		sem_wait(&trying);
		sleep_ms(hold_ms);
		pthread_mutex_unlock(&mutex);
		sem_wait(&done);
	}
	for (int i = 0; i < rounds; i++) {
		pthread_rwlock_wrlock(&rwlock);
		sem_post(&go);
		sem_wait(&trying);
		sleep_ms(hold_ms);
		pthread_rwlock_unlock(&rwlock);
		sem_wait(&done);
	}
	pthread_join(t, NULL);
	printf("{\"done\": true}\n");
	return 0;
}
