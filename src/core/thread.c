#include "core/thread.h"

#include <sys/prctl.h>

void thread_name(const char *what)
{
    char name[16]; /* the kernel's TASK_COMM_LEN, its NUL included */

    snprintf(name, sizeof name, "slw-%s", what);
    prctl(PR_SET_NAME, name, 0, 0, 0);
}
