/* kept next to the code; not shipped in the wheel */
int crcpkg_stray;
