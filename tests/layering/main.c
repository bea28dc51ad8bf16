/* SPDX-License-Identifier: MIT */
/* Links one layer whole with only what lies below it (tests/CMakeLists.txt). */
int main(void)
{
	return 0;
}
