# Counts heap allocations made through the engine (malloc/calloc/realloc).
target_link_options(${target} PRIVATE -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc)
