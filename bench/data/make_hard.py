# ruff: noqa: E501
"""Writes hard.json: a held-out recall set that dev.json is too easy to be.

In the spirit of LongMemEval: ten users (six English, two Chinese, two Japanese), each with 10-20
sessions and a few hundred turns of small talk drawn from large hand-written banks, and a few dozen
facts planted in specific turns. Questions paraphrase the answer turn (little word overlap) and every
fact comes with distractor turns that share the question's words without answering it.

Question types (LongMemEval's names):

* single-session-user: something the user said once.
* single-session-assistant: something the assistant said (the user's request before it is not an
  answer).
* knowledge-update: the user said one thing, later another (moved, changed jobs); only the later
  turn answers.
* temporal-reasoning: the question names a time ("the weekend after my sister's wedding"); the
  answer turn says it in other words, and other turns mention the same event.
* multi-session: the answer is spread over two sessions; a hit on either turn counts.

`held_out` groups the questions: "en" (English users, English questions: the stand-in for an English
multi-session benchmark), "cjk" (Chinese / Japanese users asking in their own language) and "xl"
(question language differs from the fact's: zh/ja facts asked in the other two languages, and some
English facts asked in zh and ja).

    python bench/data/make_hard.py   # deterministic (seeded); rewrites hard.json
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

SEED = 20240611


def lines(block: str) -> list[str]:
    return [s.strip() for s in block.strip().splitlines() if s.strip()]


# -- filler: what people actually say most of the time ---------------------------------------------
FILLER_USER = {
    "en": lines(
        """
        Morning! Barely awake yet.
        Ugh, it's Monday again.
        The bus was twenty minutes late and then two came at once, classic.
        It's absolutely chucking it down outside.
        Finally some sunshine, I might eat lunch on a bench.
        I just spilled coffee all over my keyboard.
        Do you ever get the feeling a day is going to be long before it even starts?
        My inbox has 214 unread emails and I refuse to look at them.
        Can you tell me a joke? Something terrible, please.
        I've had that one song stuck in my head since Tuesday.
        Just got back from the supermarket, forgot the one thing I went for.
        Why does the printer always jam when I'm in a hurry?
        The wifi keeps dropping every ten minutes.
        I should really tidy my desk, you can't see the wood anymore.
        Had a really productive morning for once.
        Today was one of those days where nothing went right.
        Honestly I just want to lie on the floor for a bit.
        What's a good way to stop procrastinating? Asking for me.
        We had a fire drill at work and it was freezing outside.
        I accidentally replied-all to the whole department.
        The meeting could definitely have been an email.
        Someone microwaved fish in the office kitchen again.
        I think I'm coming down with a cold.
        My throat is a bit scratchy this morning.
        I've been drinking way too much tea today.
        It's so humid I feel like I'm wading through soup.
        There's a wasp in the kitchen and I am not handling it well.
        I watched three episodes of a baking show last night instead of sleeping.
        Do you think it's weird to eat cereal for dinner?
        I made pasta again, it's the only thing I can cook on autopilot.
        The neighbours are doing DIY at eight in the morning on a Sunday.
        My phone battery is at four percent and I'm nowhere near a charger.
        I just realised I've been wearing my jumper inside out all day.
        Traffic on the ring road was a nightmare tonight.
        I missed my train by literally three seconds.
        Can you remind me what day it is? The week is a blur.
        I'm so bored, entertain me.
        Tell me something interesting about octopuses.
        Is it true that honey never goes off?
        How many cups are in a litre, roughly?
        What's the difference between a crocodile and an alligator again?
        I tried to assemble a flat-pack shelf and there are three screws left over.
        The cashier gave me too much change and I went back, feeling virtuous.
        It's been a weird week, I can't quite put my finger on why.
        Long day. Just going to decompress for a bit.
        I had the strangest dream about being late for an exam I didn't study for.
        My laptop decided to install updates right before my presentation.
        I keep meaning to call my old school friend back.
        The leaves are starting to turn, it's lovely on the walk in.
        It got dark so early today, I'm not ready for winter.
        Spring is finally here, I can smell cut grass everywhere.
        I bought a new umbrella and it broke on the first windy day.
        There's a queue outside the bakery every morning now.
        I just ate an entire bag of crisps without noticing.
        Do you know any good stretches for a stiff neck?
        I've been sitting at this desk for six hours straight.
        My colleague brought in homemade brownies, best day ever.
        Lunch was a sad sandwich from the petrol station.
        I'm trying to drink more water but I keep forgetting.
        Nothing much happening today, just the usual.
        I'm finally caught up on laundry, it's a miracle.
        The washing machine is making a noise like a jet engine.
        Why is every password form different about special characters?
        I locked myself out of my own account again.
        The delivery driver left my parcel with someone three doors down.
        I've got a dentist appointment tomorrow, not looking forward to it.
        I finished a jigsaw puzzle last night, a thousand pieces of sky.
        My plants are looking a bit sorry for themselves.
        I think the heating is broken in the office, everyone's in coats.
        The new coffee machine at work makes everything taste like cardboard.
        I got caught in a hailstorm on the way home, in May.
        Is it bad that I talk to you more than to some people?
        Just checking in, nothing in particular.
        Can we chat about something light? My brain is fried.
        I reorganised my spice rack alphabetically and feel very accomplished.
        Someone on the train was eating an entire roast chicken.
        I saw a fox in the street last night, just casually trotting along.
        The pigeons outside my window are nesting again.
        Started a new podcast about shipwrecks, oddly soothing.
        Finished the series everyone was talking about, the ending was a letdown.
        The cinema was nearly empty, we had the whole row to ourselves.
        I think I need new glasses, everything's a bit fuzzy lately.
        My knees are not what they used to be on the stairs.
        I'm sitting in a cafe pretending to work.
        The barista remembered my order today, I feel like a regular.
        There's roadworks on literally every street near me.
        I can't decide what to have for dinner. Any thoughts?
        I ordered takeaway and it took an hour and a half.
        We had a power cut for about an hour, very atmospheric.
        Our office is doing a step challenge and I'm losing badly.
        My team won the pub quiz by one point!
        We came last in the pub quiz, the music round destroyed us.
        I spent way too long choosing a birthday card today.
        Do you think people still send postcards?
        The heating bill this month made me wince.
        I've been scrolling on my phone for an hour, help.
        I deleted a couple of apps to cut down on screen time.
        My calendar is wall-to-wall meetings tomorrow.
        Friday at last. What a week.
        It's only Wednesday and I'm already exhausted.
        The weekend went by way too fast.
        I had a lie-in until ten, absolute luxury.
        I'm trying to get better at saying no to things.
        My to-do list keeps getting longer no matter what I do.
        I'm stuck on a crossword clue: seven letters, 'quietly sneaky'.
        There was a double rainbow over the park this evening.
        I walked past a street musician playing the bagpipes, at nine in the morning.
        The lift at work is broken so it's six flights of stairs.
        I'm trying to learn to touch-type properly, it's humbling.
        My handwriting has got so bad I can't read my own notes.
        The shop had run out of oat milk, the world is ending.
        I found a tenner in an old coat pocket!
        I keep losing my keys, I need one of those tracker things.
        Do you have any tips for remembering people's names?
        I met someone today and forgot their name within five seconds.
        The smoke alarm went off because I made toast. Toast.
        I'm having a quiet night in with a film.
        I've been staring at a blank document for an hour.
        Our team lunch got cancelled, I'd been looking forward to it.
        It's so windy the bins are rolling down the street.
        My hands are freezing, I need proper gloves.
        The kettle takes forever to boil in this flat.
        Someone left a really nice note on my windscreen, just saying have a good day.
        I'm weirdly tired even though I slept nine hours.
        Can you recommend a good word for 'very tired' that isn't exhausted?
        I'm writing a birthday message and everything I type sounds cheesy.
        Work has been a bit quieter this week, which is nice.
        My manager sent a message at eleven at night, why.
        I've finally cleared my desk before the weekend.
        What's a nice thing to do on a rainy Sunday?
        I went for a walk at lunch just to clear my head.
        I sat in the park for a bit and watched the ducks.
        There are so many conkers on the ground right now.
        It's too hot to think.
        I've got a blister from my new shoes.
        I'm trying to read more but I fall asleep after two pages.
        My brother sent me a meme at three in the morning.
        The group chat has been absolutely unhinged today.
        Our street had a bit of a party for someone's retirement.
        I helped an old man carry his shopping up the hill.
        Everyone in the office seems to have a cold.
        I forgot my lunch at home and had to buy a meal deal.
        The vending machine ate my coins.
        I've been on hold with the bank for forty minutes.
        The automated phone menu doesn't have an option for my problem.
        I finally got round to changing the lightbulb in the hall.
        My shoelace snapped on the way to work.
        I think I'm getting better at small talk, maybe.
        Just had a very awkward elevator conversation about the weather.
        A stranger complimented my coat today, made my day.
        I need a holiday, even just a long weekend.
        My flatmate has started baking bread at midnight.
        The smell of fresh paint in the corridor is giving me a headache.
        I got a parking ticket, I was gone for six minutes.
        The car needs an MOT and I keep putting it off.
        My bike has a puncture again.
        I cycled in today and it was glorious until the hill.
        There's a new cafe on the corner, I'll try it tomorrow.
        I tried a new sandwich place and it was fine, nothing special.
        I'm not really hungry but I'm eating anyway.
        I'm stuck in a meeting that's running over.
        I'm going to make a cup of tea and reconsider my life choices.
        Mind if I just ramble for a bit?
        Sorry, I was distracted, where were we?
        I keep yawning, I need some fresh air.
        My eyes are tired from the screen.
        I just got my first pay rise in two years, small but nice.
        I had to give a presentation today and my voice went squeaky.
        I finally replied to all my messages. Inbox zero, for about ten minutes.
        It snowed a bit this morning and then it all melted.
        The heating came on for the first time this autumn.
        I could hear thunder rumbling all afternoon.
        The sky was a wild pink colour at sunset.
        I burnt the rice, somehow, again.
        I tried a new recipe and it was... edible.
        There's nothing in the fridge except mustard and a lemon.
        I'm looking for a new series to watch, something not too dark.
        I fell asleep on the sofa halfway through the film.
        The neighbours' dog barked for an hour straight.
        The building's fire alarm test is always at the worst moment.
        Someone parked across my driveway this morning.
        My socks don't match and I've decided I don't care.
        I just discovered I've been pronouncing a word wrong my whole life.
        What does 'sonder' mean? I saw it somewhere.
        How do you spell 'necessary'? I always get it wrong.
        Quick question, is it 'affect' or 'effect' here?
        I've been trying to meditate but my mind keeps wandering to snacks.
        I went to bed early and still woke up tired.
        The clocks changed and I'm all over the place.
        I've got so many browser tabs open my laptop is wheezing.
        I cleaned the oven, which I think deserves a medal.
        It's the kind of evening where you just want soup.
        I had a really good chat with an old colleague today.
        Our train stopped in the middle of nowhere for half an hour.
        I'm so glad it's almost the weekend.
        Honestly, not much to report today.
        I think I'll have an early night.
        Okay, that's enough of me complaining for one day.
        """
    ),
}
FILLER_USER["zh"] = lines(
    """
    早上好，还没完全清醒。
    又到周一了，唉。
    今天地铁挤得我都快贴在门上了。
    外面下大雨了，我没带伞。
    终于出太阳了，中午想出去走走。
    刚才把咖啡洒在键盘上了。
    邮箱里有两百多封未读邮件，我不想看。
    给我讲个笑话吧，越冷越好。
    那首歌在我脑子里循环了一整天。
    去超市买了一堆东西，偏偏忘了要买的那样。
    打印机又卡纸了，每次着急的时候都这样。
    家里的网老是断。
    桌子乱得不行，该收拾一下了。
    今天上午效率特别高，难得。
    今天真是什么都不顺。
    好想躺在地板上发呆。
    怎么才能不拖延啊？
    公司搞消防演习，在外面站了半个小时。
    不小心点了全部回复，发给了整个部门。
    这个会其实发个邮件就能解决。
    有人又在公司微波炉里热鱼了。
    感觉自己好像要感冒了。
    今天喝了太多茶了。
    天气闷得像在蒸笼里一样。
    厨房里飞进来一只马蜂，吓死我了。
    昨晚本来想早睡，结果刷了三集综艺。
    晚饭吃麦片算不算很奇怪？
    又煮了面条，这是我唯一不用动脑的菜。
    楼上邻居周日早上八点就开始装修。
    手机只剩百分之四的电了。
    我发现自己一整天毛衣都穿反了。
    下班高峰堵得一动不动。
    差三秒没赶上地铁。
    今天星期几来着？这周过得稀里糊涂的。
    好无聊啊，陪我聊会儿吧。
    跟我讲点章鱼的冷知识吧。
    蜂蜜真的永远不会坏吗？
    鳄鱼和短吻鳄到底有什么区别？
    组装了一个书架，结果多出来三颗螺丝。
    收银员多找了我钱，我又回去还了。
    这周有点怪怪的，说不上来为什么。
    累了一天，先放空一会儿。
    做了个怪梦，梦见考试迟到还没复习。
    电脑偏偏在我要演示之前开始自动更新。
    一直想给老同学回个电话，总是忘。
    树叶开始变黄了，上班路上挺好看的。
    天黑得越来越早了，还没准备好过冬。
    春天终于来了，到处都是青草味。
    新买的伞第一次刮大风就坏了。
    楼下面包店每天早上都排长队。
    不知不觉吃完了一整包薯片。
    脖子好僵，有什么拉伸的办法吗？
    在电脑前坐了六个小时没动过。
    同事带了自己做的蛋糕，太幸福了。
    午饭随便在便利店买了个饭团。
    我想多喝水，但总是忘记。
    今天没什么特别的，老样子。
    终于把衣服都洗完了。
    洗衣机的声音像飞机起飞一样。
    每个网站对密码的要求都不一样，好烦。
    又把自己的账号锁住了。
    快递员把我的包裹放到别人家门口了。
    明天要去看牙医，有点怕。
    昨晚拼完了一千块的拼图，全是天空。
    阳台上的花看起来蔫蔫的。
    办公室暖气好像坏了，大家都穿着外套。
    公司新买的咖啡机做出来的咖啡像纸板味。
    回家路上碰到冰雹，五月份的冰雹。
    就是想打个招呼，没什么事。
    能聊点轻松的吗？脑子转不动了。
    把调料架按拼音排了一遍，成就感满满。
    地铁上有人在吃一整只烧鸡。
    昨晚在小区里看到一只黄鼠狼。
    窗外的鸽子又在筑巢了。
    最近在听一个讲历史悬案的播客。
    大家都在追的那部剧我看完了，结局有点烂尾。
    电影院几乎没人，整排都是我们的。
    感觉该换眼镜了，看东西有点模糊。
    爬楼梯的时候膝盖有点不舒服。
    我在咖啡馆假装工作。
    咖啡店的店员今天记住了我点的东西。
    家附近每条路都在修。
    晚饭不知道吃什么，你有建议吗？
    点的外卖等了一个半小时。
    刚才停电了一个小时。
    公司在搞步数比赛，我排倒数。
    周末过得太快了。
    睡到十点才起，太奢侈了。
    我在努力学会拒绝别人。
    待办清单越写越长。
    傍晚公园上空出现了双彩虹。
    公司电梯坏了，只能爬六楼。
    最近在练盲打，发现自己好笨。
    我的字越写越丑，自己都看不懂笔记了。
    超市的燕麦奶卖完了。
    在旧外套口袋里找到了五十块钱！
    老是找不到钥匙，想买个防丢器。
    有什么记住别人名字的好办法吗？
    今天认识一个人，五秒钟就忘了他叫什么。
    烤个面包片都能把烟雾报警器弄响。
    今晚在家看部电影，安静一下。
    对着空白文档发呆了一个小时。
    风大得垃圾桶都被吹跑了。
    手好冰，得买副手套了。
    明明睡了九个小时还是很困。
    这周工作稍微轻松一点了。
    领导晚上十一点发消息，何必呢。
    下雨的周日适合干什么？
    午休的时候出去走了一圈，脑子清醒多了。
    天太热了，什么都不想干。
    新鞋把脚磨出泡了。
    想多看书，但每次看两页就睡着了。
    我哥凌晨三点给我发表情包。
    群里今天聊得特别疯。
    忘带午饭了，只好在楼下随便买点。
    自动售货机吞了我的硬币。
    给银行客服打电话，等了四十分钟。
    终于把走廊的灯泡换了。
    上班路上鞋带断了。
    电梯里跟不太熟的同事尬聊了一路天气。
    有个陌生人夸我的外套好看，开心。
    好想放个假，哪怕只是个小长假。
    楼道里刷油漆的味道让我头疼。
    停车才六分钟就被贴了罚单。
    自行车又扎胎了。
    街角新开了一家奶茶店，明天去试试。
    不饿但还是在吃。
    会议又拖堂了。
    泡杯茶冷静一下。
    我随便唠叨几句你不介意吧？
    不好意思，刚才走神了，说到哪了？
    眼睛看屏幕看得好累。
    今天做汇报，声音都在抖。
    早上下了点小雪，一会儿就化了。
    下午一直在打雷。
    傍晚的晚霞是粉紫色的，好美。
    煮饭又煮糊了。
    冰箱里只剩一瓶辣酱和半个柠檬。
    想找部不那么沉重的剧来看。
    看电影看到一半在沙发上睡着了。
    隔壁的狗叫了一个小时。
    袜子穿的不是一双，算了不管了。
    刚发现有个字我一直读错了。
    “的地得”到底怎么用啊？
    试着冥想，结果一直在想吃什么。
    浏览器开了太多标签页，电脑都卡了。
    今天跟以前的同事聊了很久，挺开心的。
    列车在半路停了半个小时。
    快到周末了，真好。
    今天没什么可说的。
    今晚早点睡吧。
    好了，今天就抱怨到这里。
    """
)
FILLER_USER["ja"] = lines(
    """
    おはよう、まだ半分寝てる。
    また月曜日か…。
    今朝の電車、ぎゅうぎゅうで息ができなかった。
    外すごい雨。傘持ってきてない。
    やっと晴れた。お昼は外で食べようかな。
    キーボードにコーヒーこぼしちゃった。
    未読メールが二百件以上あって見る気がしない。
    なんか面白い話して。くだらないのでいいから。
    ある曲がずっと頭の中でループしてる。
    スーパー行ったのに、肝心なものを買い忘れた。
    急いでる時に限ってプリンターが紙詰まりする。
    家のWi-Fiがしょっちゅう切れる。
    机の上がひどいことになってる、片付けなきゃ。
    今日は珍しく午前中にいっぱい仕事が進んだ。
    今日は何をやってもうまくいかない日だった。
    床に寝転がってぼーっとしたい。
    先延ばし癖ってどうやったら直るの？
    会社で避難訓練があって、外で三十分立ってた。
    間違えて部署全員に返信しちゃった。
    あの会議、メール一通で済んだと思う。
    誰かがまた給湯室のレンジで魚を温めてた。
    なんか風邪ひきそう。
    今日はお茶飲みすぎた。
    蒸し暑くてサウナの中にいるみたい。
    台所に蜂が入ってきてパニック。
    昨日は早く寝るつもりが、バラエティを三本も見ちゃった。
    夜ご飯がシリアルって変かな？
    またパスタ作った。考えずに作れるのこれだけ。
    上の階の人、日曜の朝八時から工事してる。
    スマホの充電があと四パーセント。
    一日中セーターを裏返しに着てたことに今気づいた。
    帰りの道路、全然動かなかった。
    あと三秒で電車に乗り遅れた。
    今日って何曜日だっけ？今週は記憶があいまい。
    暇だなあ、ちょっと付き合って。
    タコの豆知識教えて。
    はちみつって本当に腐らないの？
    ワニとアリゲーターって何が違うんだっけ？
    組み立て式の棚を作ったら、ネジが三本余った。
    レジでおつりを多くもらったから返しに戻った。
    今週はなんか変な感じ。理由はわからないけど。
    長い一日だった。ちょっとぼーっとする。
    試験に遅刻する夢を見た。しかも全然勉強してない。
    発表の直前にパソコンがアップデートを始めた。
    昔の友達に電話し返そうと思ってずっと忘れてる。
    紅葉が始まって、通勤路がきれい。
    日が暮れるのが早くなったね。まだ冬の心の準備ができてない。
    やっと春が来た。どこもかしこも草の匂い。
    新しい傘、最初の強風で壊れた。
    駅前のパン屋、毎朝行列ができてる。
    気づいたらポテチ一袋食べ終わってた。
    首が凝ってる。いいストレッチある？
    六時間ずっと机に座りっぱなし。
    同僚が手作りのブラウニー持ってきてくれた、最高。
    お昼はコンビニのおにぎりで済ませた。
    水をもっと飲もうと思うんだけど、すぐ忘れる。
    今日は特に何もない、いつも通り。
    やっと洗濯物が全部片付いた。奇跡。
    洗濯機の音が飛行機みたい。
    サイトごとにパスワードのルールが違うの、本当に面倒。
    また自分のアカウントにログインできなくなった。
    宅配の荷物が三軒先の家に置かれてた。
    明日歯医者。ちょっと憂鬱。
    昨日の夜、千ピースのパズルを完成させた。ほぼ空の部分。
    ベランダの植物が元気ない。
    オフィスの暖房が壊れてて、みんなコート着てる。
    会社の新しいコーヒーマシン、段ボールみたいな味がする。
    帰り道でひょうに降られた。五月なのに。
    特に用はないけど、ちょっと話しかけてみた。
    軽い話でもしない？頭が回らない。
    スパイスラックを五十音順に並べ替えた。達成感すごい。
    電車でローストチキンを丸ごと食べてる人がいた。
    昨日の夜、道でタヌキを見た。
    窓の外のハトがまた巣を作ってる。
    未解決事件のポッドキャストにハマってる。
    みんなが見てたドラマ見終わった。最終回はちょっと微妙だった。
    映画館ほぼ貸し切りだった。
    最近ちょっと視界がぼやける。メガネ替えたほうがいいかも。
    階段を上ると膝が痛い。
    カフェで仕事してるふりしてる。
    カフェの店員さんが今日は注文を覚えててくれた。
    家の周り、どこもかしこも工事中。
    夜ご飯何にしよう。何かアイデアある？
    出前を頼んだら一時間半かかった。
    さっき一時間くらい停電してた。
    会社で歩数対決やってて、私はビリ。
    週末あっという間だった。
    十時まで寝てた。贅沢。
    断ることを練習中。
    やることリストが減らない。
    夕方、公園の上に二重の虹が出てた。
    会社のエレベーターが故障して、六階まで階段。
    タッチタイピングを練習中。思ったより難しい。
    字が汚すぎて自分のメモが読めない。
    スーパーでオーツミルクが売り切れてた。
    古いコートのポケットから千円札が出てきた！
    鍵をすぐなくす。紛失防止タグ買おうかな。
    人の名前を覚えるコツってある？
    今日会った人の名前、五秒で忘れた。
    トースト焼いただけで火災報知器が鳴った。
    今夜は家で映画でも見てのんびりする。
    白紙のドキュメントを一時間見つめてた。
    風が強すぎてゴミ箱が転がってった。
    手が冷たい。ちゃんとした手袋買わなきゃ。
    九時間寝たのになぜか眠い。
    今週は仕事がちょっと落ち着いてる。
    上司が夜十一時にメッセージ送ってきた。なんで。
    雨の日曜日って何するのがいいかな？
    お昼休みに散歩して頭をすっきりさせた。
    暑すぎて何も考えられない。
    新しい靴で靴擦れした。
    本をもっと読みたいけど、二ページで寝ちゃう。
    兄が夜中の三時にスタンプ送ってきた。
    今日のグループチャット、カオスだった。
    お弁当を家に忘れた。
    自販機にお金を飲まれた。
    銀行に電話したら四十分待たされた。
    やっと廊下の電球を替えた。
    通勤中に靴ひもが切れた。
    エレベーターであまり知らない人と天気の話をした。気まずい。
    知らない人にコートを褒められた。うれしい。
    休みがほしい。三連休でいいから。
    廊下のペンキの匂いで頭が痛い。
    六分しか停めてないのに駐禁切られた。
    自転車がまたパンクした。
    角に新しいカフェができた。明日行ってみる。
    お腹すいてないのに食べてる。
    会議がまた延長してる。
    お茶でも入れて落ち着こう。
    ちょっと愚痴ってもいい？
    ごめん、ぼーっとしてた。何の話だっけ？
    画面の見すぎで目が疲れた。
    今日プレゼンで声が裏返った。
    朝ちょっと雪が降って、すぐ溶けた。
    午後ずっと雷が鳴ってた。
    夕焼けがピンク色ですごくきれいだった。
    またご飯を焦がした。
    冷蔵庫にマヨネーズとレモンしかない。
    重すぎないドラマを探してる。
    映画の途中でソファで寝落ちした。
    隣の犬が一時間吠え続けてた。
    靴下が左右で違うけど、もう気にしない。
    ある漢字をずっと読み間違えてたことに気づいた。
    「適当」ってどういう意味で使うのが正しいの？
    瞑想しようとしたけど、おやつのことばっかり考えてた。
    ブラウザのタブ開きすぎてパソコンが重い。
    今日、前の職場の人と久しぶりに話せて楽しかった。
    電車が途中で三十分止まった。
    もうすぐ週末。うれしい。
    今日は特に報告することなし。
    今日は早めに寝よう。
    よし、今日の愚痴はここまで。
    """
)

FILLER_ASSISTANT = {
    "en": lines(
        """
        Ha, that sounds like quite a morning.
        Oh no, I'm sorry, that's really annoying.
        That sounds lovely, honestly.
        Fair enough, some days are just like that.
        I hear you. Want to talk it through or just vent?
        That's a good question, let me think.
        Mm, I'd have done exactly the same.
        Oh, that's brilliant, well done!
        Classic. It always happens at the worst moment, doesn't it?
        Take it easy this evening if you can.
        Sounds like you've earned a quiet night.
        Okay, here's a terrible one: why did the scarecrow win an award? He was outstanding in his field.
        Octopuses have three hearts and blue blood, which feels like showing off.
        Honey really can last for ages, archaeologists have found edible honey in ancient tombs.
        Crocodiles usually have a narrower, V-shaped snout; alligators' are broader and U-shaped.
        A litre is a little over four cups, roughly.
        Try rolling your shoulders slowly and tucking your chin in, gently, a few times.
        A glass of water by the keyboard helps, if it's in sight you'll drink it.
        That's a very relatable problem.
        I'm always happy to chat, you know that.
        Sure, let's keep it light. What's been the best bit of your day so far?
        Oof. Deep breath. You'll get through it.
        Haha, I love that.
        That's so kind of them.
        You did the right thing there.
        Weather like that is basically an invitation to stay in.
        That's a long time to be on hold, I'm sorry.
        Ah, the eternal leftover screws. I'm sure it's fine. Probably.
        Little wins count too!
        Sounds like the week has been a lot.
        I'd maybe give it a day and see how you feel.
        Is there anything I can help with right now?
        Want me to help you break that list into smaller bits?
        How are you feeling about it?
        That's such a nice detail.
        I can imagine, that would drive me up the wall too.
        You're allowed a slow day now and then.
        Maybe a short walk would help reset things?
        Good call.
        Fingers crossed it goes smoothly.
        That does sound frustrating.
        Ah, the joys of modern technology.
        Honestly that's a perfectly respectable dinner.
        A rainy Sunday is perfect for a long film, a big pot of soup, or a board game.
        Sonder is the feeling that every passer-by has a life as vivid and complex as your own.
        It's 'necessary': one collar, two sleeves. One c, two s's.
        Here it's 'affect', the verb; 'effect' is usually the noun.
        Seven letters, quietly sneaky... could it be 'furtive'? That's seven.
        Oh, you could try 'drained', 'shattered', or 'wiped out'.
        That's a really thoughtful thing to do.
        Sounds like a proper adventure.
        Hm, I'm not totally sure, but I can look at it with you.
        You've got this.
        That's fun! Tell me more.
        Oh, I didn't expect that.
        Okay, noted.
        I see what you mean.
        That's a funny mental image.
        A fox in the street always feels a little magical.
        Pigeons are very committed to their real estate.
        I'd be curious what you think once you've tried it.
        That's fair, not everything has to be amazing.
        Sounds like a cosy evening.
        Maybe treat yourself to something nice after that.
        Ugh, that's the worst kind of meeting.
        Good for you for getting it done.
        That's a great feeling.
        It's okay to take a break.
        Try the two-minute rule: if it takes less than two minutes, do it now.
        For names, saying it back once in conversation really helps it stick.
        Let me know how it goes.
        That must have been a bit of a shock.
        Sounds like a plan.
        Wise choice.
        That's a lot on one plate.
        Sometimes doing nothing is exactly right.
        Did anything good happen today, though?
        Ha! That's one way to start the day.
        Those are very tiny but very real problems.
        I'm glad you told me.
        I'm listening.
        Okay, take your time.
        That's totally understandable.
        Oh, I love a good sunset.
        Snow that melts by lunchtime is the best kind, honestly.
        You should be proud of that.
        Well, that escalated quickly.
        Sounds like your neighbours are keen.
        That's a long commute on a bad day.
        Is it the kind of tired where you need sleep, or the kind where you need a change?
        Hope it wasn't too painful.
        Have you tried turning it off and on again? Sorry, I had to.
        Sounds like the week is catching up with you.
        I'm here if you want to talk about it more.
        Very relatable.
        That's a really good point.
        A thousand pieces of sky sounds like a test of character.
        It's nice when people remember the little things.
        Good luck tomorrow!
        I'd say that's a win.
        Do you want a distraction or some advice?
        That's clever.
        Aw, that's sweet.
        I'll keep that in mind.
        Honestly, same.
        That's quite the story.
        That's a relief at least.
        It sounds like you handled it well.
        Well, at least it makes a good anecdote.
        I'm sure nobody even noticed.
        Sounds like a good excuse for an early night.
        Was it worth it, though?
        Let's hope tomorrow is gentler.
        That's really useful to know.
        Hmm, that could go either way.
        Time for a cup of tea, I think.
        You deserve a proper break.
        I'd definitely give it another try.
        Interesting! I hadn't thought about it like that.
        That's good news.
        Small steps still move you forward.
        Okay! What's next on the list?
        Enjoy the rest of your evening.
        Have a good one!
        """
    ),
    "zh": lines(
        """
        哈哈，这一早上够精彩的。
        啊，好烦啊，抱抱。
        听起来很不错嘛。
        有时候就是会有这样的日子。
        我在听，想吐槽就吐槽吧。
        好问题，我想想。
        换我也会这么做。
        太棒了，干得好！
        经典，总是在最关键的时候出问题。
        今晚好好休息一下吧。
        来个冷笑话：为什么稻草人得了奖？因为它在田里很“出众”。
        章鱼有三颗心脏，血是蓝色的。
        蜂蜜确实能放很久，考古学家在古墓里发现过还能吃的蜂蜜。
        鳄鱼的嘴一般比较尖，像V字；短吻鳄的嘴宽一点，像U字。
        慢慢转转肩膀，再轻轻收下巴，做几次试试。
        把水杯放在看得见的地方，会更容易记得喝。
        这个太有共鸣了。
        我随时都可以陪你聊天。
        好呀，聊点轻松的。今天最开心的事是什么？
        深呼吸，会过去的。
        哈哈，我喜欢。
        他们人真好。
        你做得对。
        这种天气就适合待在家里。
        等那么久，辛苦了。
        多出来的螺丝，应该……没事吧。
        小小的胜利也算数！
        这周事情真的挺多的。
        要不先放一天，看看感觉怎么样？
        现在有什么我能帮忙的吗？
        要不要我帮你把清单拆成小块？
        你自己怎么想？
        这个细节好可爱。
        换我也会抓狂。
        偶尔慢一点也没关系。
        出去走走可能会好一点。
        好主意。
        祝一切顺利。
        确实挺让人头疼的。
        科技的“乐趣”啊。
        这顿晚饭完全没问题。
        下雨的周日适合看部长电影、煮一锅汤，或者玩桌游。
        你可以说“累瘫了”或者“身心俱疲”。
        这件事你做得很贴心。
        听起来像一次小冒险。
        我也不太确定，我们一起看看？
        你可以的。
        有意思！多讲讲。
        哦，没想到。
        好的，知道了。
        我明白你的意思。
        这画面太好笑了。
        鸽子对自己的“房产”真的很执着。
        试过之后告诉我感觉怎么样。
        也对，不是每件事都要很完美。
        听起来是个很舒服的晚上。
        完事之后犒劳一下自己吧。
        这种会最让人崩溃了。
        做完了就好，真棒。
        休息一下也没关系。
        试试两分钟法则：两分钟能做完的事马上做。
        记名字的话，聊天时主动叫一次对方的名字会记得更牢。
        有结果了告诉我。
        那一定吓了一跳吧。
        听起来是个好计划。
        明智的选择。
        一下子事情太多了。
        有时候什么都不做刚刚好。
        不过今天有没有什么好事发生？
        哈，这开局不错。
        都是小事，但确实很烦。
        谢谢你告诉我。
        我在呢。
        不着急，慢慢说。
        完全可以理解。
        我也喜欢看晚霞。
        你应该为自己骄傲。
        是需要睡觉的那种累，还是需要换换心情的那种累？
        希望没有太难受。
        我陪你聊聊。
        明天会好一点的。
        这个信息挺有用的。
        该泡杯茶了。
        你值得好好休息一下。
        有道理，我之前没这么想过。
        这是好消息。
        一小步也是进步。
        好啦，下一件事是什么？
        晚上愉快！
        """
    ),
    "ja": lines(
        """
        あはは、なかなかの朝だったね。
        ああ、それはイライラするね。
        それ、すごくいいね。
        そういう日もあるよね。
        聞くよ。愚痴ってもいいし。
        いい質問だね、ちょっと考えさせて。
        私も同じことしてたと思う。
        すごい、よくやったね！
        あるある。一番困る時に限って起きるよね。
        今夜はゆっくりしてね。
        じゃあひどいの一つ：布団が吹っ飛んだ。…ごめん。
        タコは心臓が三つあって、血が青いんだって。
        はちみつは本当に長持ちするよ。古代の墓から食べられるはちみつが見つかったこともある。
        ワニ（クロコダイル）は口先が細いV字型、アリゲーターは幅広のU字型が多いよ。
        肩をゆっくり回して、あごを軽く引くのを何回かやってみて。
        水のコップを目に入るところに置いておくと飲みやすいよ。
        すごくわかる。
        いつでも話し相手になるよ。
        いいよ、軽い話をしよう。今日一番よかったことは？
        深呼吸。きっと大丈夫。
        それ好き。
        優しい人たちだね。
        正しい判断だったと思う。
        そんな天気は家にいなさいってことだよ。
        そんなに待たされたの、お疲れさま。
        余ったネジ…たぶん大丈夫。たぶん。
        小さな勝利も大事！
        今週はいろいろあったね。
        一日置いてから考えてみたら？
        今何か手伝えることある？
        リストを小さく分けるの手伝おうか？
        どう感じてる？
        その話、ほっこりする。
        それは私もイライラすると思う。
        たまにはのんびりな日もいいよ。
        ちょっと散歩したら気分変わるかも。
        いいね。
        うまくいくといいね。
        それは困るね。
        文明の利器ってやつだね。
        全然立派な夕ご飯だよ。
        雨の日曜日は長い映画、スープを作る、ボードゲームなんかがおすすめ。
        「へとへと」とか「くたくた」はどう？
        気が利くね。
        ちょっとした冒険だね。
        はっきりはわからないけど、一緒に見てみようか。
        大丈夫、できるよ。
        面白い！もっと聞かせて。
        へえ、意外。
        了解、覚えておくね。
        言いたいこと、わかるよ。
        想像したら笑っちゃった。
        ハトは自分の物件にこだわるからね。
        試したら感想教えてね。
        全部が完璧じゃなくていいんだよ。
        居心地のいい夜になりそう。
        終わったら自分にご褒美あげてね。
        その手の会議が一番疲れるよね。
        片付いてよかったね。
        休憩も大事だよ。
        二分ルールを試してみて。二分でできることはすぐやる。
        名前は会話の中で一回呼んでみると覚えやすいよ。
        どうなったか教えてね。
        それはびっくりしたね。
        いい計画だね。
        賢い選択。
        一度にいろいろ抱えすぎだよ。
        何もしない日も必要だよ。
        でも今日、何かいいことあった？
        ははは、すごい一日の始まりだね。
        小さいけど確かにストレスだね。
        話してくれてありがとう。
        ここにいるよ。
        ゆっくりでいいよ。
        それは当然だよ。
        夕焼けっていいよね。
        自分を褒めてあげて。
        寝たい疲れ？それとも気分転換したい疲れ？
        痛くなかったならいいけど。
        明日はもう少し穏やかな日になるといいね。
        それは役に立つ情報だね。
        お茶の時間にしよう。
        ちゃんと休んでいいんだよ。
        なるほど、そういう考え方もあるね。
        いい知らせだね。
        少しずつでも前進だよ。
        よし、次は何する？
        いい夜を！
        """
    ),
}

# -- planted facts -------------------------------------------------------------------------------
# One block per user. "@type question" starts a fact, asked in the user's language; "zh:" / "ja:" /
# "en:" lines ask it again in another language. Planted turns, in the order they are said (each in a
# later session than the one before, except an assistant turn, which answers the user turn just
# before it): "+" a user turn that answers, "*" an assistant turn that answers, "~" a user turn that
# must NOT count (the request before an assistant answer, the stale half of an update, the event a
# temporal question names). "-" lines are distractors: they share the question's words, answer
# nothing, and land anywhere.
TYPES = {
    "ssu": "single-session-user",
    "ssa": "single-session-assistant",
    "ku": "knowledge-update",
    "tmp": "temporal-reasoning",
    "ms": "multi-session",
}
FACTS_EN = [
    """
    @ssu What kind of pet did I bring home?
    zh: 我带回家的是什么宠物？
    ja: 私が家に連れて帰ったペットは何？
    + I finally adopted a retired greyhound from the rescue centre on Saturday, he's called Biscuit.
    - My neighbour's pet parrot has started shrieking at six every morning.
    - I brought home way too much shopping again, the fridge won't close.
    @ssu What do I play in the band?
    + Thursday evenings are trombone practice with the brass ensemble in the church hall.
    - The band at the pub last night was so loud I couldn't hear myself think.
    - I play a lot of word games on my phone on the commute.
    @ssu What am I allergic to?
    + Found out the hard way that prawns make my throat swell up, so shellfish is off the menu for life.
    - My brother's hay fever allergies are terrible this spring, he hasn't stopped sneezing.
    @ssu What does my husband do for a living?
    + Sam's on nights in A&E again this week, the joys of being married to an emergency doctor.
    - My friend's husband is looking for a new job, he hates his commute.
    - I was living on toast and tea this week.
    @ssu Where did I grow up?
    + The village I spent my childhood in, up near Keswick, had one shop and more sheep than people.
    - My nephew is growing up so fast, he's taller than me now.
    @ssa Which restaurant did you recommend for our anniversary?
    ~ Our tenth anniversary is coming up, where should we book dinner in Manchester?
    * For something special I'd try Mana in Ancoats: a tasting menu, very intimate, and you need to book weeks ahead.
    - The restaurant next to the office changed its menu and now everything comes with truffle oil.
    - My parents' anniversary party was lovely, Dad even gave a speech.
    @ssa What novel did you suggest for my long flight?
    ~ I've got a nine-hour flight to Toronto coming up and nothing to read.
    * You might enjoy The Remains of the Day by Kazuo Ishiguro, quiet and beautifully written, it makes the hours disappear.
    - The flight attendant on my last trip was so kind when I spilled my drink.
    @ssa How long did you tell me to leave my sourdough in the fridge?
    ~ My sourdough keeps coming out flat as a pancake, what am I doing wrong?
    * Try a longer cold proof: twelve to sixteen hours before baking usually fixes the spread and deepens the flavour.
    - I cleared out the fridge and found a jar of something from last year.
    @ku Which city do I live in now?
    ~ I love my little flat in Leeds, even if the boiler is older than I am.
    + All the boxes are unpacked at the new place in Bristol, and I can see the suspension bridge from the kitchen.
    - The city council is digging up the road outside again.
    - I'd love to live somewhere with a proper garden one day.
    @ku Where do I work at the moment?
    ~ Another long week at the library, the archive digitisation project never ends.
    + First week at the architecture practice done, and so far nobody has asked me to catalogue anything.
    - My cousin works from home and hasn't worn shoes since 2020.
    @ku What race am I training for?
    ~ I've signed up for a 10k in April, so it's three runs a week from now on.
    + Scrapped the 10k, I've gone and entered the Chester marathon in October, all 26.2 miles of it.
    - The training at work about the new expenses system was mind-numbing.
    @tmp What did I say I'd do the weekend after my sister's wedding?
    ~ My sister's wedding is on the 14th of June and I still haven't found a dress.
    + The weekend after my sister's big day I'm finally ripping up the hallway carpet, no excuses.
    - My sister's flatmate is getting married too, it's wedding season apparently.
    @tmp What's my plan for the day after my birthday?
    ~ My birthday is on the 3rd and I'm dreading the big four-oh.
    + The morning after I turn forty I'm going up in a hot-air balloon, I've already paid the deposit.
    - I bought a birthday card for Dad with a singing fish on it.
    @tmp How did I spend the Easter holidays?
    + I spent the whole long weekend in April painting the spare room a deep forest green, the eggs were an afterthought.
    - Easter eggs are already in the shops and it's only February.
    - The school holidays mean the trains are full of kids.
    @ms Which countries have I travelled to this year?
    + Back from Lisbon! Portugal was all custard tarts and hills that destroyed my calves.
    + Just landed from Reykjavik, Iceland was brutally cold but the hot springs made up for it.
    - The travel agent keeps emailing me about river cruises.
    @ms What have I been doing to sleep better?
    + I've cut out coffee after midday, trying to get my nights back on track.
    + I bought blackout curtains and a white-noise machine for the bedroom.
    - Sleep is for the weak, said nobody with a teething baby.
    @ms What new hobbies have I taken up recently?
    + I signed up for a pottery class on Wednesday evenings, my first bowl looks like an ashtray.
    + Started bouldering at the climbing wall near work, my forearms are on fire.
    - My colleague's new hobby is apparently complaining about his hobbies.
    """,
    """
    @ssu What's my cat's name?
    zh: 我的猫叫什么名字？
    ja: 私の猫の名前は？
    + The little tabby we rescued answers to Pickles, mostly when the treat tin rattles.
    - My cat allergy flared up at my aunt's house, my eyes were streaming.
    - What's the name of that film with the talking cat? It's on the tip of my tongue.
    @ssu What do I do on Sunday mornings?
    + Every week I get up at seven and swim forty lengths at the lido before anyone else is awake.
    - Sunday mornings used to be for lie-ins, back when I was a student.
    @ssu Which language am I learning?
    ja: 私が勉強している言語は何？
    + My Portuguese teacher says my accent sounds more Rio than Lisbon, which I'll take as a compliment.
    - I'm learning to use the new accounting software at work, slowly.
    - My niece's language is mostly made-up words at the moment.
    @ssu What car do I drive?
    + The old blue Volvo estate failed nothing at its MOT, twenty years old and still going.
    - I drive past that new car showroom every morning and never go in.
    @ssu What did I study at university?
    + Three years of marine biology and now I spend my days in spreadsheets, funny how life goes.
    - University open days are so different now, my son went to one last week.
    @ssa Which hiking route did you suggest for the Lake District?
    ~ We've got one free day near Ambleside, any walk you'd suggest?
    * I'd go for the Fairfield Horseshoe: about ten miles, a full loop from Ambleside with big views over Windermere if the cloud lifts.
    - The hiking boots I ordered are a size too small.
    @ssa What did you say to do about my squeaky door?
    ~ The bedroom door creaks every time I open it, it's driving me mad.
    * A few drops of light machine oil or a rub of candle wax on the hinge pins should quieten it straight away.
    - My niece has a squeaky toy that she will not put down.
    @ssa Which board game did you suggest for the family Christmas?
    ~ I need something that both my nine-year-old nephew and my grandad will enjoy over the holidays.
    * Ticket to Ride works well for that: simple rules, quick turns, and it gets competitive without anyone getting upset.
    - We played a family game of charades and Grandad refused to mime anything.
    @ku How many children do I have?
    ~ My two boys are at that age where they fight about absolutely everything.
    + We brought our daughter home from the hospital on Tuesday, so now it's three kids and zero sleep.
    - My sister has no kids and a very tidy house.
    @ku Which football team do I support?
    ~ Being a Leeds fan is a lifelong exercise in disappointment.
    + After the move I've switched allegiances, I've got a season ticket at Brentford now, don't tell my dad.
    - The football on the telly was so boring I fell asleep.
    @ku What's my diet like these days?
    ~ I could never give up bacon, it's the only reason to get up on a Saturday.
    + It's been three months without any meat or fish now and honestly I don't miss the bacon at all.
    - This diet soda tastes like metal.
    @tmp What did I do the evening after my job interview?
    ~ The interview with the council is on Thursday at two, I'm so nervous.
    + Once the grilling at the council offices was over I went straight to the cinema on my own and ate a bucket of popcorn.
    - My job is so quiet this week that I've been reorganising folders.
    @tmp What was I going to do the week after the kids go back to school?
    ~ The kids go back to school on the 4th of September, thank goodness.
    + Once the school run starts again I'm taking a whole week off just for me, starting with a spa day.
    - The school has asked us to bring in cardboard boxes for a project.
    @tmp What happened on my first day of the new year?
    + On the 1st of January I jumped into the freezing sea at Tynemouth for charity and lost the feeling in my toes.
    - New year, new diary, same old handwriting.
    @ms What renovations have I done on the house?
    + The bathroom's been gutted and retiled, it only took three weeks longer than promised.
    + The new kitchen worktops are finally in, oak, and I'm scared to put anything on them.
    - The house across the road has had scaffolding up for a year.
    @ms What music gigs have I been to lately?
    + Saw Arctic Monkeys at the stadium on Friday and my ears are still ringing.
    + We went to a tiny jazz night in a basement bar and the saxophonist was incredible.
    - The music in the supermarket has been the same Christmas playlist since November.
    """,
    """
    @ssu Where was I born?
    zh: 我是在哪里出生的？
    + I'm a Glasgow lad originally, though the accent comes and goes depending on who I'm talking to.
    - Our new baby was born three weeks early but she's doing great.
    @ssu What's my favourite film?
    ja: 私の一番好きな映画は何？
    + I've watched Spirited Away probably thirty times and I still cry at the train scene.
    - The film club at work picked something with subtitles and half of them walked out.
    - My favourite thing about cinemas is the smell of popcorn.
    @ssu What's my job?
    + I spend my days fixing boilers and unblocking drains, the glamorous life of a plumber.
    - My job interview practice with my nephew went terribly, he kept laughing.
    @ssu What's wrong with my back?
    + The physio says it's a slipped disc in my lower spine, so no lifting anything heavy for six weeks.
    - I got back from the shops and realised I'd left my wallet there.
    @ssu What's my wife's name?
    + Fiona and I met at a ceilidh in 2009, she stood on my foot during the Gay Gordons.
    - My wife's friend is coming to stay for the weekend.
    @ssa What present did you suggest for my dad?
    ~ Dad turns seventy next month and he says he wants nothing, which isn't helpful.
    * Maybe a framed print of an old Ordnance Survey map of the place he grew up, it's personal and he won't already have one.
    - My dad's present to me was a very practical set of spanners.
    @ssa What did you say I should do about my noisy neighbours?
    ~ The people upstairs play drums until midnight, I'm losing my mind.
    * I'd start with a friendly note or a knock at a calm moment, and only go to the council's noise team if that doesn't work.
    - My neighbours' cat keeps sleeping in my shed.
    @ssa Which stretch did you recommend for my hamstrings?
    ~ My legs feel tight after every run, I can barely touch my knees.
    * Try lying on your back with a towel around your foot and gently pulling the straight leg up, thirty seconds each side.
    - I recommended that pie shop to my mate and now he's there every day.
    @ku What colour is my hair now?
    ~ Still boring brown hair, the same cut I've had since school.
    + I let the hairdresser talk me into going bright copper red and people keep doing double takes.
    - The colour of the new office carpet is best described as sad beige.
    @ku Where do we go on holiday this summer?
    ~ We've booked two weeks in Crete for the summer, I can already taste the feta.
    + The Greek holiday fell through, so it's a camper van round the Scottish Highlands in August instead.
    - Summer holiday traffic on the motorway is going to be unbearable.
    @ku How many hours a week do I work now?
    ~ I'm on five long days a week at the moment, barely see daylight.
    + The boss agreed to my request, I'm down to four days a week from next month.
    - My friend works nights at a bakery and says the hours suit her.
    @tmp What did I do the day before my marathon?
    ~ The Edinburgh marathon is on the 26th of May, I'm terrified.
    + The day before the big race I just ate a giant bowl of pasta and watched cartoons to stay calm.
    - There's a charity run going past my house, all the roads are closed.
    @tmp What did I say I'd do once my exams are over?
    ~ My final plumbing certification exams finish on the 20th.
    + As soon as the last paper's handed in I'm booking a week in a cabin with no signal.
    - My nephew's exams start next week and he's pretending they don't exist.
    @tmp Where did I go for Christmas last year?
    + We spent last December the 25th at Fiona's parents in Inverness, six of us round a tiny table.
    - The Christmas lights in the town centre are up already, in October.
    @ms What problems have I had with my car?
    + The clutch went on the motorway, had to get towed home.
    + Got a letter saying the exhaust failed its emissions test, another bill.
    - Car parks in town are so expensive now.
    @ms What pets do we have?
    + Our old spaniel Rory still thinks he's a puppy at twelve.
    + The kids convinced me to get two guinea pigs, they squeak every time the fridge opens.
    - I'm not a pet person really, said I, before all this.
    @ms Which sports have I tried this year?
    + I gave five-a-side football a go on Tuesday and I'm too old for it.
    + Went to a beginners' squash session, the ball is so much faster than it looks.
    - Sports on the telly all weekend, I've barely seen the living room.
    """,
    """
    @ssu What instrument did I start learning?
    zh: 我开始学什么乐器了？
    + My first cello lesson went better than expected, the teacher says I hold the bow like a natural.
    - The school orchestra concert was very loud and very enthusiastic.
    - I started learning how to do my own taxes.
    @ssu What's my daughter's name?
    + Our Isla turned six on Sunday and demanded a cake shaped like a volcano.
    - My daughter's friend has a name I can never spell.
    @ssu What do I do for work?
    ja: 私の仕事は何？
    + Teaching Year 4 means my day is mostly glue sticks and negotiating over who sits by the window.
    - I do the crossword on my lunch break, it's a ritual.
    @ssu What sport did I play when I was younger?
    + As a teenager I played hockey for the county, I still have a scar on my shin to prove it.
    - Younger people at work talk about apps I've never heard of.
    @ssu What's my phobia?
    + I can't even look at a picture of a snake without my heart racing.
    - My fear of missing out is why I said yes to three parties this weekend.
    @ssa What did you suggest for my garden's clay soil?
    ~ My garden is heavy clay and nothing grows, it's like concrete in summer.
    * Dig in lots of well-rotted manure and some grit every autumn, and try plants that like it, like roses and hostas.
    - My garden gnome has gone missing again, I suspect the teenagers.
    @ssa Which podcast did you recommend?
    ~ I need something to listen to on my drive, preferably not about murders.
    * You might like No Such Thing As A Fish: four researchers sharing strange facts, funny and easy to dip into.
    - My brother started his own podcast, he has four listeners.
    @ssa How did you say to get red wine out of the carpet?
    ~ I knocked a glass of merlot over on the cream rug. Disaster.
    * Blot it, don't rub, then dab on a mix of washing-up liquid and white vinegar in cold water and blot again.
    - The carpet shop is having a sale, everything half price.
    @ku What's my partner's name?
    ~ Tom is cooking tonight, which means we'll be eating at ten.
    + Tom and I split up in March, and I've been seeing a lovely guy called Marcus for a few weeks now.
    - My partner at the tennis club is always late.
    @ku Which gym do I go to?
    ~ The leisure centre pool is cheap and always busy, but it does the job.
    + Cancelled the leisure centre and joined the little boxing gym by the canal, the coach is terrifying.
    - The gym in the office basement smells like feet.
    @ku What's my commute like now?
    ~ The 45-minute drive to school is fine as long as I have a podcast.
    + We moved closer so now I cycle to school in ten minutes along the river.
    - The commute for my neighbour is two hours each way, I don't know how he does it.
    @tmp What did I do the morning after the school play?
    ~ The school play is on Friday evening and I've painted all the scenery.
    + The morning after the big performance I slept until eleven and then ate cold pizza in the bath.
    - The school play last year had a donkey costume with three legs.
    @tmp What are my plans for the half-term break?
    + During the February week off I'm taking the kids to see the dinosaur exhibition in London.
    - The break room at school has a broken kettle again.
    @tmp What did I do right after my driving test?
    ~ My driving test is on Monday morning, third attempt.
    + The second the examiner said I'd passed I drove straight to the coast and sat on the beach with chips.
    - My test results from the doctor came back fine.
    @ms What have I been reading lately?
    + I finally finished Middlemarch, it took me the whole winter.
    + Started a thriller by Tana French and I stayed up until two to finish it.
    - My reading glasses keep disappearing.
    @ms What has gone wrong in my flat?
    + The boiler packed in on the coldest night of the year.
    + Water is dripping through the bathroom ceiling from the flat upstairs.
    - My flatmate from uni came to visit, we went wrong every turn on the way home.
    @ms What volunteering have I done?
    + I've started helping at the food bank on Saturday mornings, sorting tins.
    + I've been reading with kids at the library once a week after school.
    - The volunteer fire brigade came round asking for donations.
    """,
    """
    @ssu What's my dog's breed?
    zh: 我的狗是什么品种？
    ja: 私の犬の犬種は何？
    + Our border collie herds the children round the garden like they're sheep.
    - The dog next door barks at every delivery van.
    - What breed of chicken lays blue eggs? Random question.
    @ssu What do I drink every morning?
    + First thing every day it's a pot of strong Assam with a splash of milk, non-negotiable.
    - I had a drink with the team after work and regretted it this morning.
    @ssu Where do I live?
    + Our cottage is at the end of a lane in a tiny village outside Hereford, the nearest shop is four miles away.
    - I live for bank holiday weekends.
    @ssu What's my job?
    + I'm a vet at a farm practice, so mostly calving and lame sheep at odd hours.
    - My job application to the gardening club was rejected, apparently there's a waiting list.
    @ssu How old is my son?
    + Oliver just turned eleven and is suddenly too cool to hold my hand.
    - My son's friend has a phone already, which feels too young.
    @ssa Which recipe did you give me for a dinner party?
    ~ I'm hosting eight people on Saturday and one of them is vegan, help.
    * A big tray of roasted squash and chickpea tagine with herby couscous works for everyone, and you can make it the day before.
    - My recipe book fell into the sink and now every page is wrinkled.
    @ssa What did you say about my cough?
    ~ I've had a cough for three weeks now, it won't go away.
    * Three weeks is long enough that I'd book an appointment with your GP, especially if you're short of breath or it's getting worse.
    - My cough mixture tastes like liquorice and regret.
    @ssa What did you suggest to help my son with maths?
    ~ Oliver is really struggling with fractions and gets upset about homework.
    * Using real things helps: cutting a pizza or a chocolate bar into parts and talking about halves and quarters before doing worksheets.
    - My maths teacher at school used to throw chalk at us.
    @ku What car do we have now?
    ~ Our old Land Rover is held together with string and prayers.
    + Finally traded in the Land Rover, we're driving an electric Kia now and the silence is eerie.
    - The car in front of me was doing twenty in a fifty zone.
    @ku Who looks after our son after school?
    ~ My mum picks Oliver up after school on weekdays, she spoils him rotten.
    + Mum's knee surgery means Oliver goes to the after-school club at the leisure centre now.
    - After school the park is packed with teenagers.
    @ku What's my role at the practice now?
    ~ I'm one of four vets at the practice, the junior one who gets the night calls.
    + They've made me a partner in the practice, so now I do the rotas instead of the night calls.
    - Role play at Oliver's school play involved a lot of sheep costumes.
    @tmp What did I do the day after the lambing season ended?
    ~ Lambing season runs until the end of April, I'm running on fumes.
    + The first morning after the last lamb was delivered I slept for fourteen hours straight.
    - The lambs in the field are jumping around like popcorn.
    @tmp What did I plan for the weekend after the village fete?
    ~ The village fete is on the 10th and I'm in charge of the tombola.
    + The weekend after the tombola chaos we're off to the Brecon Beacons to camp, just the three of us.
    - The village hall needs a new roof, there's a fundraiser next month.
    @tmp What did I say about last New Year's Eve?
    + On the last night of December we were out at a farm with a horse with colic until two in the morning, very festive.
    - New year's resolutions always last about a week.
    @ms What have I grown in the vegetable patch?
    + The tomatoes have gone mad this year, we're giving bags away.
    + Dug up the first potatoes yesterday, a bit knobbly but delicious.
    - The vegetable box delivery came with a mystery gourd.
    @ms Which friends have come to visit?
    + Jess and her twins stayed for the weekend and the house is still recovering.
    + My uni friend Priya drove down from Leeds for a night, we talked until three.
    - Visiting hours at the hospital are very strict.
    @ms Which injuries have I had from work?
    + A cow kicked me in the thigh and the bruise is the size of a dinner plate.
    + Cut my hand on a gate latch, needed three stitches.
    - The injury list for the rugby team is longer than the squad.
    """,
    """
    @ssu What's my favourite food?
    zh: 我最喜欢吃什么？
    ja: 私の一番好きな食べ物は何？
    + Nothing beats a steaming bowl of pho from the little Vietnamese place on Stockwell Road.
    - My favourite thing about Sundays is not setting an alarm.
    - The food at the work canteen is beige and unloved.
    @ssu What did I name my plant?
    + The big Monstera in the living room is called Gerald and he's thriving.
    - My name was spelled wrong on my coffee cup again.
    @ssu What am I saving up for?
    + Every spare penny is going towards a deposit for a flat, I'm sick of renting.
    - The savings account interest rate is an insult.
    @ssu What's my star sign?
    + Being a Scorpio apparently explains my trust issues, according to my sister.
    - I saw a shooting star last night on the way home.
    @ssu What's my brother's job?
    + Danny flies cargo planes for a living, he's in Hong Kong one week and Anchorage the next.
    - My brother's flatmate is a DJ who sleeps all day.
    @ssa What did you suggest I say in my resignation letter?
    ~ I'm handing in my notice tomorrow and I don't know how to word it.
    * Keep it short and kind: your last day, a thank-you for the opportunities, and an offer to help with the handover.
    - The letter from the council about bin collections was confusing.
    @ssa Which city did you suggest for a weekend break?
    ~ I want a cheap weekend away somewhere in Europe in November.
    * Porto is lovely then: cheap flights, port cellars, good food, and it's mild compared to here.
    - The weekend was mostly laundry and more laundry.
    @ssa What did you say to do with my overwatered plant?
    ~ I think I've drowned my peace lily, the leaves are all droopy and yellow.
    * Let the soil dry out completely, check the roots for rot, and repot in fresh, well-draining mix if they're mushy.
    - The plant sale at the garden centre is this weekend.
    @ku Where do I work now?
    ~ The call centre job is soul-destroying, eight hours of people shouting at me.
    + Started at the bookshop on Monday, I get paid to recommend novels, dream job.
    - My friend works at a bank and says it's all spreadsheets.
    @ku What's my relationship status?
    ~ Still single, and my mum keeps asking about it at every family dinner.
    + I've been seeing someone properly for two months now, his name's Leo and he makes great risotto.
    - My status on the work chat is permanently 'away'.
    @ku What's my hair like now?
    ~ My hair is down to my waist, I haven't cut it in years.
    + I chopped it all off into a pixie cut and my head feels so light.
    - The hairdresser was fully booked until next month.
    @tmp What did I do the night after I quit my job?
    ~ My last day at the call centre is Friday the 12th.
    + The evening after I walked out of the call centre for the last time, I went out dancing until four.
    - The night bus was full of people singing.
    @tmp What was I doing over my birthday weekend?
    + For my thirtieth we rented a cottage on the Norfolk coast and I swam in the sea in October.
    - My birthday present from work was a mug with my own face on it.
    @tmp What did I say I'd do after my flat viewing?
    ~ The viewing for the flat on Kingsland Road is on Wednesday evening.
    + Once I've had a look round that place on Wednesday I'm going to my sister's to talk numbers over wine.
    - The view from my office is a car park.
    @ms What have I cooked recently?
    + Made my first ever lasagne from scratch, it took four hours and was gone in ten minutes.
    + Tried a Thai green curry last night, way too spicy but I'm proud of it.
    - My cooking apron has a picture of a lobster on it.
    @ms Which concerts do I have tickets for?
    + Got tickets to see Florence and the Machine in July!
    + Managed to get two seats for the Proms at the Royal Albert Hall.
    - The concert hall near me is being turned into flats.
    @ms What courses have I signed up for?
    + Enrolled in an evening class on creative writing at the college.
    + I've signed up for a first aid course on Saturdays, feels like a useful thing to know.
    - Of course the train was cancelled again.
    """,
]
FACTS_ZH = [
    """
    @ssu 我养了什么宠物？
    en: What pet do I have?
    ja: 私はどんなペットを飼っている？
    + 上周从救助站领回来一只三花小猫，取名叫糯米。
    - 邻居家的宠物狗每天晚上都在叫。
    - 宠物医院门口新开了一家奶茶店。
    @ssu 我在哪个城市长大的？
    en: Which city did I grow up in?
    ja: 私はどの町で育った？
    + 我小时候一直住在重庆，现在吃火锅还是只吃红汤。
    - 这座城市的地铁越修越长了。
    - 侄子长得真快，都比我高了。
    @ssu 我对什么过敏？
    en: What am I allergic to?
    ja: 私は何にアレルギーがある？
    + 一吃芒果嘴巴就又红又肿，所以夏天的芒果冰我只能看着。
    - 同事花粉过敏，最近一直在打喷嚏。
    @ssu 我在什么公司上班？
    en: What company do I work for?
    ja: 私はどんな会社で働いている？
    + 我在一家做新能源汽车电池的厂里当工程师，天天跟电芯打交道。
    - 公司楼下的食堂又涨价了。
    - 上班路上看到有人在发传单。
    @ssa 你推荐我去哪家餐厅吃饭？
    en: Which restaurant did you recommend to me?
    ja: あなたが勧めてくれたレストランはどこ？
    ~ 周末想带爸妈吃顿好的，你有什么推荐吗？
    * 可以试试外滩附近的老吉士，本帮菜做得很地道，红烧肉和葱油拌面都不错，记得提前订位。
    - 公司附近那家餐厅换了厨师，味道差了好多。
    @ssa 你让我怎么处理失眠？
    en: What did you suggest for my insomnia?
    ja: 眠れないことについて、あなたは何を勧めた？
    ~ 最近每天凌晨两三点才睡着，第二天上班特别难受。
    * 可以试着固定起床时间，睡前一小时不看手机，下午之后别喝咖啡，躺了二十分钟还睡不着就起来看会儿书。
    - 处理不完的工作邮件已经堆成山了。
    @ku 我现在住在哪里？
    en: Where do I live now?
    ja: 私は今どこに住んでいる？
    ~ 我住在杭州西湖边的老小区里，出门就能散步。
    + 搬家总算搞定了，现在住在深圳南山，离公司骑车十分钟。
    - 现在的房租真是越来越贵了。
    - 住在隔壁的阿姨送了我一袋橘子。
    @ku 我现在开什么车？
    en: What car do I drive now?
    ja: 私は今どんな車に乗っている？
    ~ 我那辆开了八年的老捷达又要修了。
    + 老捷达卖掉了，换了一辆比亚迪的电车，充电比加油便宜太多。
    - 车展上的新车好多，看得眼花缭乱。
    @tmp 我妹妹婚礼之后那个周末打算做什么？
    en: What was I planning to do the weekend after my sister's wedding?
    ja: 妹の結婚式の次の週末に何をするつもりだった？
    ~ 我妹妹十月二号结婚，我要当伴娘。
    + 妹妹的大喜日子一过，接下来那个周六我就去莫干山住两晚民宿，好好躺平。
    - 妹妹的同学也在准备婚礼，最近都在聊婚纱。
    @tmp 国庆假期我做了什么？
    en: What did I do during the National Day holiday?
    ja: 国慶節の休みに何をした？
    + 十月一号那一周我哪儿也没去，在家把整个书房重新刷了墙。
    - 假期的高速公路堵得像停车场。
    @ms 我最近学了哪些新东西？
    en: What new things have I been learning lately?
    ja: 最近どんな新しいことを習っている？
    + 报了一个周末的烘焙班，第一次烤的面包硬得像石头。
    + 开始跟着网课学游泳了，终于敢把头埋进水里。
    - 新来的实习生学东西特别快。
    @ms 最近家里有什么东西坏了？
    en: What has broken at home recently?
    ja: 最近家で何が壊れた？
    + 洗衣机脱水的时候突然不转了，衣服全是水。
    + 卫生间的热水器漏水，地上全是水。
    - 坏天气让我心情也不太好。
    """,
    """
    @ssu 我女儿叫什么名字？
    en: What's my daughter called?
    ja: 私の娘の名前は？
    + 我家小朵今年上幼儿园大班了，每天放学都要讲半小时学校的事。
    - 女儿同学的妈妈约我周末一起去公园。
    - 这个名字的餐厅我好像听过。
    @ssu 我的工作是什么？
    en: What's my job?
    ja: 私の仕事は何？
    + 在中学教了十年物理，最怕的还是批实验报告。
    - 找工作的事我表弟问了我好几次。
    @ssu 我每天早上喝什么？
    en: What do I drink every morning?
    ja: 毎朝何を飲んでいる？
    + 起床第一件事就是泡一杯浓浓的铁观音，不喝一整天都没精神。
    - 昨晚跟朋友喝酒喝多了，今天头疼。
    @ssu 我害怕什么？
    en: What am I scared of?
    ja: 私は何が怖い？
    + 我恐高，站在商场三楼的栏杆边腿都发软。
    - 害怕迟到，今天特意早起了半小时。
    @ssa 你建议我给我爸买什么生日礼物？
    en: What birthday present did you suggest for my dad?
    ja: 父の誕生日プレゼントに何を勧めてくれた？
    ~ 我爸下个月七十大寿，他总说什么都不缺，好难选。
    * 可以考虑一台大屏的收音机，再帮他把喜欢的戏曲节目都存好，实用又贴心。
    - 我爸给我寄了一箱家里种的苹果。
    @ssa 你推荐我看什么书？
    en: Which book did you recommend to me?
    ja: どの本を勧めてくれた？
    ~ 最近想读点轻松又有意思的东西，不要太厚的。
    * 可以读读汪曾祺的《人间草木》，都是短篇散文，写吃写花草，很治愈。
    - 书店门口的猫今天睡在杂志堆上。
    @ku 我现在在哪个学校教书？
    en: Which school do I teach at now?
    ja: 今どの学校で教えている？
    ~ 在七中教书挺好的，就是离家太远，每天通勤一个小时。
    + 调到家门口的外国语学校了，走路五分钟，终于不用挤公交。
    - 学校门口的早餐摊换人了。
    @ku 我现在的爱好是什么？
    en: What is my hobby these days?
    ja: 今の趣味は何？
    ~ 周末最喜欢去钓鱼，一坐就是一下午。
    + 鱼竿都送人了，现在迷上了打羽毛球，每周三次。
    - 爱好摄影的同事又买了一个镜头。
    @tmp 我女儿生日之后第二天做了什么？
    en: What did I do the day after my daughter's birthday?
    ja: 娘の誕生日の翌日に何をした？
    ~ 小朵五月二十号过生日，想给她办个小派对。
    + 派对后的第二天，我一个人去按摩店躺了两个小时，累坏了。
    - 女儿同学的生日会要带礼物，我还没买。
    @tmp 期末考试结束后我打算干什么？
    en: What did I plan to do once the final exams are over?
    ja: 期末試験が終わったら何をするつもり？
    ~ 学校期末考试七月五号结束，之后还要改卷子。
    + 等卷子全改完，我就带全家去青岛看海，酒店都订好了。
    - 考试的时候有个学生笔没水了，还找我借。
    @ms 我最近去过哪些地方旅行？
    en: Where have I travelled recently?
    ja: 最近どこへ旅行した？
    + 刚从西安回来，兵马俑比想象的还震撼。
    + 五一去了一趟厦门，鼓浪屿人多得走不动。
    - 旅行社的推销电话一天打三次。
    @ms 我最近身体有什么问题？
    en: What health problems have I had recently?
    ja: 最近体にどんな問題があった？
    + 最近颈椎特别疼，医生说是长期低头批作业造成的。
    + 体检查出来有点贫血，要多吃红肉。
    - 电脑出了点问题，开机特别慢。
    """,
]
FACTS_JA = [
    """
    @ssu 私はどんなペットを飼っている？
    en: What pet do I keep?
    zh: 我养了什么宠物？
    + 先月からうちにハリネズミが来て、夜になると回し車でずっと走ってる。
    - 友達のペットの犬が散歩中に逃げ出したらしい。
    - ペットボトルのお茶、また買いすぎた。
    @ssu 私の出身地はどこ？
    en: Where am I from?
    zh: 我是哪里人？
    + 生まれも育ちも札幌だから、冬の寒さには強いほう。
    - 地元のスーパーが閉店するらしい。
    @ssu 私の仕事は何？
    en: What do I do for a living?
    zh: 我是做什么工作的？
    + 病院で薬剤師をしていて、毎日処方箋とにらめっこしてる。
    - 仕事の帰りに本屋に寄った。
    - 今日の会議、結局何も決まらなかった。
    @ssu 私は何が苦手？
    en: What can't I stand?
    zh: 我受不了什么？
    + パクチーだけはどうしても食べられない。石けんみたいな味がする。
    - 数学が苦手な甥っ子に宿題を教えた。
    @ssa あなたが勧めてくれた温泉はどこ？
    en: Which hot spring did you recommend?
    zh: 你推荐的温泉是哪里？
    ~ 来月の連休に両親を連れてどこかゆっくりできるところに行きたいんだけど。
    * それなら草津がおすすめ。湯畑の周りを歩けるし、旅館も多いからご両親も楽しめると思う。
    - 家のお風呂の温度設定が壊れた。
    @ssa 肩こりについてあなたは何と言った？
    en: What did you tell me about my stiff shoulders?
    zh: 关于我肩膀酸痛，你说了什么？
    ~ 一日中パソコン作業で肩がガチガチ。
    * 一時間に一回は立ち上がって肩を回すのと、モニターを目の高さまで上げるのを試してみて。
    - 肩書きが変わって名刺を作り直した。
    @ku 私は今どこに住んでいる？
    en: Where do I live now?
    zh: 我现在住在哪里？
    ~ 横浜のマンションは海が近くて気に入ってる。
    + 引っ越しがやっと終わって、今は福岡の天神の近くに住んでる。
    - 住んでいる人が多すぎて、休日の駅前は大混雑。
    @ku 私は今何の楽器を習っている？
    en: Which instrument am I learning now?
    zh: 我现在在学什么乐器？
    ~ ピアノのレッスン、毎週土曜日に通ってる。
    + ピアノはやめて、今はウクレレ教室に通い始めた。手が小さくても弾けるのがいい。
    - 楽器店の前を通ったら、ドラムの音がすごかった。
    @tmp 姉の結婚式の次の週末に何をするつもりだった？
    en: What did I plan for the weekend after my sister's wedding?
    zh: 我姐姐婚礼之后的那个周末打算干什么？
    ~ 姉の結婚式が六月八日にあって、スピーチを頼まれた。
    + 姉の晴れ舞台が終わったら、その次の土日は一人で京都の町家に泊まってのんびりする予定。
    - 姉の友達の結婚式の写真がインスタに上がってた。
    @tmp ゴールデンウィークに何をした？
    en: What did I do during Golden Week?
    zh: 黄金周我做了什么？
    + 五月の大型連休は、ずっと部屋の片付けをしてたら終わった。
    - ウィークリーマンションの広告がポストに入ってた。
    @ms 最近どんな運動を始めた？
    en: What exercise have I taken up recently?
    zh: 我最近开始做什么运动？
    + 朝のヨガを始めて、もう三週間続いてる。
    + 会社の同僚に誘われてボルダリングに行ったら、はまった。
    - 運動会のお弁当、何を作ろうかな。
    @ms 最近家族に何があった？
    en: What has happened in my family lately?
    zh: 我家里最近发生了什么？
    + 弟に子どもが生まれて、私もついにおばさんになった。
    + 祖母が入院して、週末はお見舞いに行ってる。
    - 家族向けの映画を見たけど、大人も楽しめた。
    """,
    """
    @ssu 私の夫の仕事は何？
    en: What does my husband do?
    zh: 我老公是做什么的？
    + 健太は消防士だから、夜勤の日は家が静かすぎる。
    - 夫の友達が今度うちに遊びに来る。
    - 仕事で使うパソコンが古すぎる。
    @ssu 私の好きな食べ物は何？
    en: What's my favourite food?
    zh: 我最喜欢吃什么？
    + 週に三回は食べてもいいくらい、とんこつラーメンに目がない。
    - 食べ物の写真ばかり撮ってる友達がいる。
    @ssu 私が怖いものは何？
    en: What am I afraid of?
    zh: 我怕什么？
    + 雷が鳴ると、いまだに布団をかぶって隠れちゃう。
    - 怖い映画は見ない主義。
    @ssu 私の誕生日はいつ？
    en: When is my birthday?
    zh: 我的生日是哪天？
    + 十一月二十二日、いい夫婦の日に生まれたってよくからかわれる。
    - 誕生日プレゼントに何をあげるか、友達と相談中。
    @ssa どの映画を勧めてくれた？
    en: Which film did you recommend?
    zh: 你推荐我看什么电影？
    ~ 週末に夫と家で見る映画、何かいいのある？重すぎないやつ。
    * 「かもめ食堂」はどう？フィンランドの小さな食堂の話で、静かで温かい気持ちになれるよ。
    - 映画館のポップコーンが値上がりしてた。
    @ssa 子どもの夜泣きにあなたは何を勧めた？
    en: What did you suggest for my baby waking up crying at night?
    zh: 孩子夜里哭闹，你建议我怎么做？
    ~ 娘が毎晩二時に泣いて起きて、もう限界。
    * 寝る前の流れを毎日同じにして、部屋を暗く静かに保ってみて。続くようなら小児科に相談してね。
    - 隣の家の子どもはいつも元気に挨拶してくれる。
    @ku 私の勤め先はどこ？
    en: Where do I work?
    zh: 我在哪里上班？
    ~ 市役所の仕事は安定してるけど、ちょっと退屈。
    + 市役所を辞めて、四月から地元の出版社で編集の仕事を始めた。
    - 勤め先の近くのランチはどこも高い。
    @ku 私は今何で通勤している？
    en: How do I commute now?
    zh: 我现在怎么上下班？
    ~ 毎朝満員電車で四十分、本当に疲れる。
    + 会社の近くに引っ越したから、今は自転車で十分で着く。
    - 通勤ラッシュの時間を避けたい。
    @tmp 娘の入園式の後、何をした？
    en: What did I do after my daughter's nursery entrance ceremony?
    zh: 女儿幼儿园入园仪式之后我做了什么？
    ~ 四月十日は娘の入園式。スーツ着られるかな。
    + 式が終わってから、家族三人でホテルのランチに行ってお祝いした。
    - 入園グッズの名前付けがまだ終わらない。
    @tmp 去年の大晦日、何をしていた？
    en: What was I doing on New Year's Eve last year?
    zh: 去年除夕夜我在干什么？
    + 十二月三十一日の夜は、夫が仕事だったから娘と二人でそばを食べて早く寝た。
    - 年末の大掃除、まだ何もしてない。
    @ms 最近どこへ旅行した？
    en: Where have I been on trips recently?
    zh: 我最近去哪里旅行了？
    + 沖縄から帰ってきた。海の色が信じられないくらい青かった。
    + 先週末は金沢に行って、兼六園を歩いてきた。
    - 旅行ガイドの本、買ったまま読んでない。
    @ms 最近何を習い始めた？
    en: What have I started learning lately?
    zh: 我最近开始学什么了？
    + 週一でお花の教室に通い始めた。
    + オンラインで韓国語の勉強を始めた。
    - 習字の宿題をする娘の横で昼寝してしまった。
    """,
]
USERS = [("en", block) for block in FACTS_EN] + [("zh", b) for b in FACTS_ZH] + [("ja", b) for b in FACTS_JA]


def parse(block: str, lang: str) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = []
    for line in lines(block):
        tag, _, text = line.partition(" ")
        text = text.strip()
        if tag.startswith("@"):
            facts.append({"type": TYPES[tag[1:]], "questions": {lang: text}, "plants": [], "distractors": []})
        elif tag in ("zh:", "ja:", "en:"):
            facts[-1]["questions"][tag[:-1]] = text
        elif tag in ("+", "~", "*"):
            facts[-1]["plants"].append(("assistant" if tag == "*" else "user", text, tag != "~"))
        elif tag == "-":
            facts[-1]["distractors"].append(text)
        else:
            raise ValueError(f"bad line: {line!r}")
    return facts


def units(plants: list[tuple[str, str, bool]]) -> list[list[tuple[str, str, bool]]]:
    """Plants grouped into exchanges: a user turn, and the assistant turn that answers it if any."""
    out: list[list[tuple[str, str, bool]]] = []
    for plant in plants:
        if plant[0] == "assistant":
            if not out or out[-1][-1][0] != "user":
                raise ValueError(f"an assistant plant needs a user turn before it: {plant}")
            out[-1].append(plant)
        else:
            out.append([plant])
    return out


class Deck:
    """Draws lines without replacement, reshuffling when the bank runs out."""

    def __init__(self, bank: list[str], rng: random.Random) -> None:
        self.bank, self.rng, self.left = bank, rng, []

    def draw(self) -> str:
        if not self.left:
            self.left = self.bank[:]
            self.rng.shuffle(self.left)
        return self.left.pop()


def build_user(
    c: int, lang: str, block: str, rng: random.Random
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    facts = parse(block, lang)
    while True:  # 10-20 sessions, 200-400 turns
        n_sessions = rng.randint(11, 17)
        sizes = [rng.randint(7, 13) for _ in range(n_sessions)]  # exchanges (user + assistant turn)
        if 200 <= 2 * sum(sizes) <= 400:
            break
    free = {s: list(range(n)) for s, n in enumerate(sizes)}
    slots: dict[tuple[int, int], list[tuple[str, str, int, str]]] = {}  # (session, exchange) -> turns

    def take(session: int) -> tuple[int, int]:
        e = rng.choice(free[session])
        free[session].remove(e)
        return session, e

    for f, fact in enumerate(facts):
        groups = units(fact["plants"])
        while True:
            sessions = sorted(rng.sample(range(n_sessions), len(groups)))
            if len(groups) == 1 or sessions[-1] - sessions[0] >= 2:  # updates come a while later
                break
        not_answer = "stale" if fact["type"] == TYPES["ku"] else "context"
        for group, s in zip(groups, sessions, strict=True):
            slots[take(s)] = [
                (speaker, text, f, "answer" if ok else not_answer) for speaker, text, ok in group
            ]
        for text in fact["distractors"]:
            s = rng.choice([s for s in free if free[s]])
            slots[take(s)] = [("user", text, f, "distractor")]

    user_deck, assistant_deck = Deck(FILLER_USER[lang], rng), Deck(FILLER_ASSISTANT[lang], rng)
    turns: list[dict[str, Any]] = []
    answers: dict[int, list[str]] = {}

    def add(session: int, speaker: str, text: str, fact: int = -1, role: str = "") -> None:
        turn: dict[str, Any] = {"id": f"h{c}t{len(turns)}", "session": session, "speaker": speaker}
        turn["text"] = text
        if role == "answer":
            turn["fact"] = f"h{c}f{fact}"
            answers.setdefault(fact, []).append(turn["id"])
        elif role:
            turn["role"] = role  # not an answer; kept for reading failures
        turns.append(turn)

    for s, n in enumerate(sizes):
        for e in range(n):
            planted = slots.get((s, e), [])
            if planted:
                for speaker, text, f, role in planted:
                    add(s, speaker, text, f, role)
                if len(planted) == 1:
                    add(s, "assistant", assistant_deck.draw())
            else:
                add(s, "user", user_deck.draw())
                add(s, "assistant", assistant_deck.draw())

    questions = []
    for f, fact in enumerate(facts):
        for qlang, text in fact["questions"].items():
            group = "xl" if qlang != lang else ("en" if lang == "en" else "cjk")
            questions.append(
                {
                    "conversation": c,
                    "question": text,
                    "lang": qlang,
                    "fact_lang": lang,
                    "answer_ids": answers[f],
                    "type": fact["type"],
                    "held_out": group,
                }
            )
    return {"id": c, "lang": lang, "sessions": n_sessions, "turns": turns}, questions


def main() -> None:
    rng = random.Random(SEED)
    conversations, questions = [], []
    for c, (lang, block) in enumerate(USERS):
        conv, qs = build_user(c, lang, block, rng)
        conversations.append(conv)
        questions.extend(qs)
    out = Path(__file__).with_name("hard.json")
    out.write_text(
        json.dumps({"conversations": conversations, "questions": questions}, ensure_ascii=False, indent=1)
        + "\n",
        encoding="utf-8",
    )
    n_turns = sum(len(c["turns"]) for c in conversations)
    print(f"{out}: {len(conversations)} users, {n_turns} turns, {len(questions)} questions")


if __name__ == "__main__":
    main()
