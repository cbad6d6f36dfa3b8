/* hello — OpenSphere's first demo app: prints a greeting and its command-line arguments.
 * (Applibs and the runtime that runs it inside a container come with the next issues; for now
 * `make run` builds it, packs it and sideloads it onto a simulated device.) */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("Hello from OpenSphere");
    for (int i = 1; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    return 0;
}
