"""Operations on whole Kaldi data dirs, one concept per module.

These are the logic behind ``utils/*.sh`` and ``utils/*.pl`` (Kaldi command lines and
semantics); the scripts only parse options and call ``python -m Process_Data.bin.data_dir_tool``
or import a function.

=============  ==========================================================================
``lines``      line-level tools: ``filter_scp.pl``, ``utt2spk_to_spk2utt.pl``, ...
``staging``    writing a data dir into a staging folder that replaces the target on success
``split``      ``split_scp.pl`` and ``split_data.sh``
``subset``     ``subset_data_dir.sh``
``combine``    ``combine_data.sh``
``rename``     ``copy_data_dir.sh`` (new utterance/speaker ids)
``durations``  ``get_utt2dur.sh``, ``get_reco2dur.sh`` (reads audio headers)
``frames``     ``utt2num_frames`` from features or durations
``speed``      ``perturb_data_dir_speed.sh``
=============  ==========================================================================

``lines``, ``staging``, ``split``, ``subset``, ``combine`` and ``rename`` import only the
standard library (numpy, soundfile and kaldiio are imported inside the functions that read
audio or archives), so that ``utils/filter_scp.pl`` and ``utils/split_scp.pl`` run on a bare
system Python. The package itself imports nothing: import the module you need.
"""
